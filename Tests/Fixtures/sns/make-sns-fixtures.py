#!/usr/bin/env python3
"""Makes the SNS signature test fixtures in this folder (run by hand; the outputs are committed).

Python's `cryptography` (OpenSSL underneath) does the signing, so the Swift verifier is checked
against an implementation other than its own. Outputs:

- signing-key.pem: RSA 2048 private key (PKCS#8), so tests can sign more messages themselves.
- signing-cert.pem: self-signed X.509 v3 certificate for that key, valid 2026-01-01 to 2036-01-01,
  standing in for the certificate at SigningCertURL.
- expired-cert.pem: the same key, valid 2019-01-01 to 2020-01-01.
- other-key.pem / other-cert.pem: a second key and certificate ("the wrong key").
- bounce-v1.json, bounce-v2.json: SNS Notification envelopes whose Message is AWS's sample
  permanent bounce (../specs/aws/ses-notifications/bounce-permanent-dsn.json, bytes unchanged),
  signed SHA1withRSA (SignatureVersion 1) and SHA256withRSA (2).
- subscription-confirmation.json: a SubscriptionConfirmation signed with SignatureVersion 2.

Signed strings follow SNS's rule: "Name\\nvalue\\n" for Message, MessageId, Subject (if present) or
SubscribeURL, Timestamp, Token (confirmations), TopicArn, Type, in that order.
"""
import base64, datetime, json, pathlib
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, padding

here = pathlib.Path(__file__).resolve().parent
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-tidings-test.pem"
TOPIC = "arn:aws:sns:us-east-1:123456789012:tidings-ses-feedback"
TIMESTAMP = "2026-11-21T19:02:00.000Z"


def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cert(private, start, end, name):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(private.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .sign(private, hashes.SHA256()))


def write_key(private, name):
    (here / name).write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def write_cert(certificate, name):
    (here / name).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def string_to_sign(m):
    names = ["Message", "MessageId"]
    names += ["Subject"] if m["Type"] == "Notification" else ["SubscribeURL"]
    names += ["Timestamp"] + ([] if m["Type"] == "Notification" else ["Token"]) + ["TopicArn", "Type"]
    return "".join(f"{n}\n{m[n]}\n" for n in names if n in m)


def sign(m, private, version):
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()
    m["SignatureVersion"] = version
    m["SigningCertURL"] = CERT_URL
    m["Signature"] = base64.b64encode(
        private.sign(string_to_sign(m).encode(), padding.PKCS1v15(), digest)).decode()
    return m


utc = datetime.timezone.utc
signing = key()
write_key(signing, "signing-key.pem")
write_cert(cert(signing, datetime.datetime(2026, 1, 1, tzinfo=utc), datetime.datetime(2036, 1, 1, tzinfo=utc),
                "sns.us-east-1.amazonaws.com (Tidings test)"), "signing-cert.pem")
write_cert(cert(signing, datetime.datetime(2019, 1, 1, tzinfo=utc), datetime.datetime(2020, 1, 1, tzinfo=utc),
                "expired (Tidings test)"), "expired-cert.pem")
other = key()
write_key(other, "other-key.pem")
write_cert(cert(other, datetime.datetime(2026, 1, 1, tzinfo=utc), datetime.datetime(2036, 1, 1, tzinfo=utc),
                "other (Tidings test)"), "other-cert.pem")

bounce = (here.parent / "specs/aws/ses-notifications/bounce-permanent-dsn.json").read_text()
for version in ["1", "2"]:
    m = {"Type": "Notification", "MessageId": f"6f0b7b1e-0000-4000-8000-00000000000{version}",
         "TopicArn": TOPIC, "Message": bounce, "Timestamp": TIMESTAMP,
         "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + TOPIC + ":1"}
    (here / f"bounce-v{version}.json").write_text(json.dumps(sign(m, signing, version), indent=2) + "\n")

m = {"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
     "Token": "2336412f37fb687f5d51e6e2425f004aed8e2a7d1c0f1b8b1fd7e6e4a2e7a1b0",
     "TopicArn": TOPIC,
     "Message": "You have chosen to subscribe to the topic " + TOPIC + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
     "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + TOPIC
                     + "&Token=2336412f37fb687f5d51e6e2425f004aed8e2a7d1c0f1b8b1fd7e6e4a2e7a1b0",
     "Timestamp": TIMESTAMP}
(here / "subscription-confirmation.json").write_text(json.dumps(sign(m, signing, "2"), indent=2) + "\n")

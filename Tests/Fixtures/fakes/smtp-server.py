#!/usr/bin/env python3
"""A real SMTP server (PyPI aiosmtpd) on a free loopback port, for the SMTP tests.

    smtp-server.py RECORD [--cert CERT --key KEY] [--user USER --password PASSWORD]

With --cert and --key it offers STARTTLS and requires it before any other command but EHLO,
NOOP and QUIT (require_starttls); with --user it offers AUTH PLAIN and LOGIN, only over TLS
when TLS is offered (auth_require_tls), and requires it before MAIL. Without --cert it offers
no STARTTLS at all (the server a client that requires STARTTLS must refuse).

A recipient whose local part starts with "defer" gets 451 at RCPT, one that starts with
"reject" gets 550. Each accepted message is appended to RECORD as one JSON line:
{"mail_from", "rcpt_tos", "tls", "data_base64"}, data being the DATA bytes after the server
removed the dot-stuffing and the final ".". Prints the port on one line once it accepts
connections, then serves until it is killed.
"""
import argparse
import asyncio
import base64
import json
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

parser = argparse.ArgumentParser()
parser.add_argument("record")
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--user")
parser.add_argument("--password")
arguments = parser.parse_args()


class Recorder:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("defer"):
            return "451 4.3.0 try again later"
        if local.startswith("reject"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with open(arguments.record, "a") as record:
            record.write(
                json.dumps(
                    {
                        "mail_from": envelope.mail_from,
                        "rcpt_tos": envelope.rcpt_tos,
                        "tls": session.ssl is not None,
                        "data_base64": base64.b64encode(envelope.original_content).decode("ascii"),
                    }
                )
                + "\n"
            )
        return "250 2.0.0 queued"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == arguments.user.encode()
        and auth_data.password == arguments.password.encode()
    )
    return AuthResult(success=ok, handled=False)


context = None
if arguments.cert:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(arguments.cert, arguments.key)


def factory():
    options = {"decode_data": False, "hostname": "localhost"}
    if context is not None:
        options.update(tls_context=context, require_starttls=True)
    if arguments.user:
        options.update(
            authenticator=authenticate, auth_required=True, auth_require_tls=context is not None
        )
    return SMTP(Recorder(), **options)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())

#!/usr/bin/env python3
"""Writes Events/{cartAbandoned,orderCreated,orderCancelled}/envelopes/*.json: one fixture per
envelope shape and topic, each around its own checkout or order (so a whole replay sends each
once), signed as the platforms sign them.

Shopify: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(app secret, raw body)), secret
`northwind-webhook-secret` (the recorded deliveries use the same). BigCommerce: the shared-secret
header X-Tidings-Webhook-Secret = `northwind-bigcommerce-secret`.
Every fixture is due at 2026-11-21T19:00:00Z (the tests' TIDINGS_NOW) and when replayed; the SQS
batch's third record is 20 minutes old then (too_soon, retried).
Run from the package root: python3 Tests/Fixtures/make-envelopes.py
"""
import base64, hashlib, hmac, json, os

SHOPIFY_SECRET = b"northwind-webhook-secret"
BIGCOMMERCE_SECRET = "northwind-bigcommerce-secret"
OUT = "Events/cartAbandoned/envelopes"
SHOP = "northwind-outfitters.myshopify.com"

base = json.load(open("Events/cartAbandoned/shopify-first-time-buyer.json"))
checkout = json.loads(base["body"])


def shopify_body(n, updated):
    body = dict(checkout)
    body["id"] = 39000000100 + n
    body["token"] = "e%031d" % n
    body["cart_token"] = "c%031d" % n
    body["updated_at"] = updated
    if "abandoned_checkout_url" in body:
        body["abandoned_checkout_url"] = "https://northwind.example/checkouts/e%031d/recover" % n
    return json.dumps(body, indent=2)


def sign(raw):
    return base64.b64encode(hmac.new(SHOPIFY_SECRET, raw.encode(), hashlib.sha256).digest()).decode()


def shopify_headers(n, raw, triggered, lower=True, signature=None):
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "checkouts/update",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": "5e0c1a2b-0000-4000-8000-0000000001%02d" % n,
        "X-Shopify-Event-Id": "7a1d2c3e-0000-4000-8000-0000000001%02d" % n,
        "X-Shopify-Triggered-At": triggered,
        "X-Shopify-Hmac-Sha256": signature if signature is not None else sign(raw),
    }
    return {k.lower(): v for k, v in headers.items()} if lower else headers


def http_v2(raw, headers, path, base64_body=False, function_url=False):
    domain = "abcdefghij.lambda-url.us-east-1.on.aws" if function_url else "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
    return {
        "version": "2.0",
        "routeKey": "$default" if function_url else "POST " + path,
        "rawPath": path,
        "rawQueryString": "",
        "headers": dict(headers, **{"host": domain, "user-agent": "Shopify-Captain-Hook", "content-length": str(len(raw.encode()))}),
        "requestContext": {
            "accountId": "anonymous" if function_url else "123456789012",
            "apiId": domain.split(".")[0],
            "domainName": domain,
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "Shopify-Captain-Hook"},
            "requestId": "req-%s" % hashlib.sha1(raw.encode()).hexdigest()[:12],
            "routeKey": "$default" if function_url else "POST " + path,
            "stage": "$default",
            "time": "21/Nov/2026:13:30:01 +0000",
            "timeEpoch": 1795267801000,
        },
        "body": base64.b64encode(raw.encode()).decode() if base64_body else raw,
        "isBase64Encoded": base64_body,
    }


def eventbridge(raw, headers):
    return {
        "version": "0",
        "id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        "detail-type": "shopifyWebhook",
        "source": "aws.partner/shopify.com/123456789/tidings",
        "account": "123456789012",
        "time": "2026-11-21T13:30:01Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"payload": json.loads(raw), "metadata": headers},
    }


def sqs_record(message_id, body, attributes=None):
    record = {
        "messageId": message_id,
        "receiptHandle": "AQEB" + hashlib.sha1(message_id.encode()).hexdigest(),
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795267802000", "SenderId": "AROAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1795267802100"},
        "messageAttributes": {k: {"stringValue": v, "stringListValues": [], "binaryListValues": [], "dataType": "String"} for k, v in (attributes or {}).items()},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:tidings-cartAbandoned",
        "awsRegion": "us-east-1",
    }
    return record


def write(name, value):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


DUE, DUE_AT = "2026-11-21T13:30:00Z", "2026-11-21T13:30:01.000Z"

raw = shopify_body(1, DUE)
write("apigateway-v2-checkouts-update.json", http_v2(raw, shopify_headers(1, raw, DUE_AT), "/webhooks/checkouts-update"))

raw = shopify_body(2, DUE)
write("function-url-checkouts-update.base64.json", http_v2(raw, shopify_headers(2, raw, DUE_AT), "/", base64_body=True, function_url=True))

raw = shopify_body(3, DUE)
write("apigateway-v2-forged-signature.json", http_v2(raw, shopify_headers(3, raw, DUE_AT, signature=sign(raw + " ")), "/webhooks/checkouts-update"))

raw = shopify_body(4, DUE)
write("eventbridge-checkouts-update.json", eventbridge(raw, shopify_headers(4, raw, DUE_AT, lower=False)))

good = shopify_body(5, DUE)
soon = shopify_body(6, "2026-11-21T18:40:00Z")
write("sqs-eventbridge-batch.json", {"Records": [
    sqs_record("6f1a0001-0000-4000-8000-000000000001", json.dumps(eventbridge(good, shopify_headers(5, good, DUE_AT)))),
    sqs_record("6f1a0001-0000-4000-8000-000000000002", '{"version": "0", "detail-type": "shopifyWebhook", "detail": '),
    sqs_record("6f1a0001-0000-4000-8000-000000000003", json.dumps(eventbridge(soon, shopify_headers(6, soon, "2026-11-21T18:40:01.000Z")))),
]})

raw = shopify_body(7, DUE)
write("sqs-http-route-checkouts-update.json", {"Records": [
    sqs_record("6f1a0002-0000-4000-8000-000000000001", raw, dict(shopify_headers(7, raw, DUE_AT), **{"tidings-channel": "http"})),
]})

bc = {
    "created_at": 1795282200,  # 17:30Z, after the recorded cart's last activity (16:20Z)
    "store_id": "1025646",
    "producer": "stores/nw4x7k2q",
    "scope": "store/cart/abandoned",
    "hash": "0c5f3e2d1b0a99887766554433221100ffeeddcc",
    "data": {"type": "cart", "id": "5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b02", "token": "b3c1e0f9a8d7c6b5a4f3e2d1c0b9a8f8"},
}
raw = json.dumps(bc, indent=2)
write("apigateway-v2-bigcommerce-cart-abandoned.json", http_v2(raw, {"content-type": "application/json", "x-tidings-webhook-secret": BIGCOMMERCE_SECRET}, "/webhooks/bigcommerce"))

canonical = json.load(open("Events/cartAbandoned/canonical-unknown-to-shop.json"))
canonical["event_id"] = "cdp-evt-pubsub-0001"
canonical["triggered_at"] = DUE
canonical["payload"]["cart_id"] = "cdp-cart-pubsub-0001"
if "abandoned_at" in canonical["payload"].get("cart", {}):
    canonical["payload"]["cart"]["abandoned_at"] = DUE
data = json.dumps(canonical, indent=2)
write("pubsub-push-cart-updated.json", {
    "message": {
        "attributes": {"content-type": "application/json"},
        "data": base64.b64encode(data.encode()).decode(),
        "messageId": "13120000000001",
        "message_id": "13120000000001",
        "publishTime": "2026-11-21T13:30:01.000Z",
        "publish_time": "2026-11-21T13:30:01.000Z",
    },
    "subscription": "projects/northwind-tidings/subscriptions/cart-updated-push",
})

# The order topics, as the template's EventBridge rules deliver them (through the SQS queue): each
# a recorded order delivery with its own order and event ids, re-signed.
def order_delivery(source, order_id, event_id, later=None):
    """A recorded order delivery around its own order and event ids, re-signed. `later` is a
    (old, new) time prefix: the copy happens after the recorded event it copies."""
    recorded = json.load(open(source))
    body = json.loads(recorded["body"])
    old_id = body["id"]
    body["id"] = order_id
    body["admin_graphql_api_id"] = "gid://shopify/Order/%d" % order_id
    body["name"] = "#%d" % (order_id % 10000)
    body["order_number"] = order_id % 10000
    raw = json.dumps(body, indent=2).replace(str(old_id), str(order_id))
    headers = dict(recorded["headers"])
    if later:
        raw = raw.replace(later[0], later[1])
        headers["X-Shopify-Triggered-At"] = headers["X-Shopify-Triggered-At"].replace(later[0], later[1])
    headers["X-Shopify-Event-Id"] = event_id
    headers["X-Shopify-Webhook-Id"] = event_id.replace("7e", "5e", 1)
    headers["X-Shopify-Hmac-Sha256"] = sign(raw)
    return raw, headers


def order_envelope(source, folder, name, order_id, event_id, later=None):
    raw, headers = order_delivery(source, order_id, event_id, later)
    os.makedirs(folder, exist_ok=True)
    record = sqs_record("6f1a0003-0000-4000-8000-%012d" % (order_id % 10**12), json.dumps(eventbridge(raw, headers)))
    record["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:tidings-" + folder.split("/")[1]
    with open(os.path.join(folder, name), "w") as f:
        json.dump({"Records": [record]}, f, indent=2, ensure_ascii=False)
        f.write("\n")


order_envelope("Events/orderCreated/shopify-first-order.json", "Events/orderCreated/envelopes",
               "sqs-eventbridge-orders-create.json", 820982911946159001, "7e000000-0000-4000-8000-000000009001")
order_envelope("Events/orderCancelled/shopify-customer-cancelled.json", "Events/orderCancelled/envelopes",
               "sqs-eventbridge-orders-cancelled.json", 820982911946159002, "7e000000-0000-4000-8000-000000009002",
               later=("2026-11-26T08:00", "2026-11-26T10:00"))


# Every other shape for the order topics too (one fixture per shape and topic), each around its own
# order: the HTTP route (API Gateway v2, a base64 Function URL, an SQS record the HTTP route
# queued), EventBridge delivered straight to the function, and Shopify's Pub/Sub delivery.
def order_shapes(source, folder, topic_slug, first_id):
    shapes = ["apigateway-v2", "function-url", "eventbridge", "sqs-http-route", "pubsub-push"]
    for index, shape in enumerate(shapes):
        order_id = first_id + index
        raw, headers = order_delivery(source, order_id, "7e000000-0000-4000-8000-%012d" % (order_id % 10**12))
        lower = {k.lower(): v for k, v in headers.items()}
        if shape == "apigateway-v2":
            value = http_v2(raw, lower, "/webhooks/" + topic_slug)
            name = "apigateway-v2-%s.json" % topic_slug
        elif shape == "function-url":
            value = http_v2(raw, lower, "/", base64_body=True, function_url=True)
            name = "function-url-%s.base64.json" % topic_slug
        elif shape == "eventbridge":
            value = eventbridge(raw, headers)
            name = "eventbridge-%s.json" % topic_slug
        elif shape == "sqs-http-route":
            record = sqs_record("6f1a0004-0000-4000-8000-%012d" % (order_id % 10**12), raw, dict(lower, **{"tidings-channel": "http"}))
            record["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:tidings-" + folder.split("/")[1]
            value = {"Records": [record]}
            name = "sqs-http-route-%s.json" % topic_slug
        else:
            value = {
                "message": {
                    "attributes": headers,
                    "data": base64.b64encode(raw.encode()).decode(),
                    "messageId": str(13120000000100 + index),
                    "message_id": str(13120000000100 + index),
                    "publishTime": headers["X-Shopify-Triggered-At"],
                    "publish_time": headers["X-Shopify-Triggered-At"],
                },
                "subscription": "projects/northwind-tidings/subscriptions/%s-push" % topic_slug,
            }
            name = "pubsub-push-%s.json" % topic_slug
        with open(os.path.join(folder, name), "w") as f:
            json.dump(value, f, indent=2, ensure_ascii=False)
            f.write("\n")


order_shapes("Events/orderCreated/shopify-first-order.json", "Events/orderCreated/envelopes", "orders-create",
             820982911946159010)
# A declined payment: each copy is answered on its own (a win-back would make the copies repeats).
order_shapes("Events/orderCancelled/shopify-payment-declined.json", "Events/orderCancelled/envelopes",
             "orders-cancelled", 820982911946159020)

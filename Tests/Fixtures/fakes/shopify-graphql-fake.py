#!/usr/bin/env python3
"""A loopback fake of the Shopify Admin GraphQL API, sharing no code with the Swift client.

Every request is validated against the official 2026-04 introspection schema
(Tests/Fixtures/specs/shopify/graphql-admin/admin_2026-04.json.gz, see PROVENANCE.md) with
graphql-core, and then EXECUTED by graphql-core against that schema: the answer's shape, nullability,
enums and scalars are the schema's, the data comes from the recorded shop's GraphQL answers
(--shop, default Events/shop/shopify/admin/api/2026-04/graphql): its customers, their orders and
the products, re-paged for whatever page size and cursor a request asks for.

  POST /admin/api/<version>/graphql.json  the API; needs `X-Shopify-Access-Token` (--token,
                            default shpat_tidings_test) and `Content-Type: application/json`;
                            <version> must be --version (default 2026-04), else 404
  GET  /_requests           every request: operationName, variables, problems, fault
  POST /_faults             {"script": ["throttled", "502", "hang", ...]} answers the next
                            requests with those faults in order, then clean;
                            {"endless": true} makes every connection page for ever;
                            {"deleted": ["6100000001"]} deletes customers;
                            {"scopes": ["read_orders"]} sets the granted access scopes;
                            {"restore": 50, "available": 40} sets the bucket a throttle reports;
                            {} turns faults off
  POST /_reset              forgets requests and faults
  GET  /_bulk/<n>.jsonl     a bulk operation's result (the `url` a COMPLETED poll returns; the
                            signed storage link of the real API): no token needed, and a request
                            that sends one is recorded as a problem

Bulk operations: `bulkOperationRunQuery` validates its `query` against the schema, executes it
over the shop (connections unpaged) and writes the JSONL as Shopify documents it: one object per
line, children of a nested connection with `__parentId`, right after their parent when
`groupObjects` is true. `node(id:)` on the operation answers RUNNING for the first poll, then
COMPLETED with `url` and `objectCount`; {"bulk": "FAILED", "bulk_error": "ACCESS_DENIED"} in
/_faults makes it end FAILED with that errorCode instead.

Every answer carries `extensions.cost` (requestedQueryCost, actualQueryCost, throttleStatus with
maximumAvailable 1000, restoreRate --restore). A query that does not validate gets HTTP 200 with
`errors` (as Shopify answers), and its problems are recorded so the test fails loudly.

Faults: throttled (HTTP 200, errors[0].extensions.code THROTTLED, actualQueryCost null, the bucket
below the requested cost), 502 and 503 (HTML body), hang (no answer for --hang seconds, default 30,
then the connection is closed).

Usage: shopify-graphql-fake.py [--root REPO_ROOT] [--shop DIR] [--token T] [--version V]
[--restore R] [--hang S]. Prints its port on one line, serves on 127.0.0.1 until killed.
  shopify-graphql-fake.py --validate < documents.json: validates a JSON array of
  {"name", "document", "variables", "answer"} and prints a JSON array of problem lists, one per
  document; with an `answer` (a recorded response), also checks it is what the schema completes.
"""
import base64, glob, gzip, json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from graphql import build_client_schema, graphql_sync, parse, validate
from graphql.error import GraphQLError

HERE = os.path.dirname(os.path.abspath(__file__))


def arg(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


ROOT = arg("--root", os.path.abspath(os.path.join(HERE, "..", "..", "..")))
SCHEMA_FILE = os.path.join(ROOT, "Tests/Fixtures/specs/shopify/graphql-admin/admin_2026-04.json.gz")


def load_schema():
    with gzip.open(SCHEMA_FILE) as handle:
        document = json.load(handle)
    return build_client_schema(document.get("data", document))


SCHEMA = load_schema()


def problems_of(document, variables, coerce=True):
    """The schema's verdict on one request: syntax, validation, then (with `coerce`) whether the
    variables coerce to their declared types."""
    try:
        ast = parse(document)
    except GraphQLError as error:
        return ["syntax: " + error.message]
    found = [error.message for error in validate(SCHEMA, ast)]
    if found or not coerce:
        return found
    # Coercion of the variables is checked by executing against an empty root.
    result = graphql_sync(SCHEMA, document, root_value={}, variable_values=variables)
    return [error.message for error in result.errors or [] if "Variable" in error.message]


# --- the data: the recorded shop's REST files as GraphQL objects --------------------------------


def gid(kind, number):
    return "gid://shopify/%s/%s" % (kind, number)


def legacy(value):
    return str(value).rsplit("/", 1)[-1]


def money(amount, currency):
    bag = {"amount": amount, "currencyCode": currency}
    return {"shopMoney": bag, "presentmentMoney": dict(bag)}


def connection(items, first=None, after=None, endless=False):
    start = int(base64.b64decode(after).decode()) if after else 0
    size = first if first is not None else len(items)
    page = items[start : start + size]
    end = start + len(page)
    more = end < len(items)
    if endless:
        more, end = True, end + 1
    return {
        "nodes": page,
        "edges": [{"node": node, "cursor": base64.b64encode(str(start + i + 1).encode()).decode()} for i, node in enumerate(page)],
        "pageInfo": {
            "hasNextPage": more,
            "hasPreviousPage": start > 0,
            "endCursor": base64.b64encode(str(end).encode()).decode() if (page or endless) else None,
            "startCursor": base64.b64encode(str(start).encode()).decode() if page else None,
        },
    }


class Shop:
    """The recorded shop's data, read from its GraphQL answers (--shop, the folder of
    TidingsCustomer__*.json, TidingsCustomerOrders__*.json, TidingsProducts__*.json,
    TidingsShopOrders__*.json): customers, each customer's orders, every order and the products.
    Connections are rebuilt from them, so any page size and cursor the client asks for is served."""

    def __init__(self, folder):
        self.products = {}
        self.customers = {}
        self.orders = {}
        self.customer_orders = {}
        for path in sorted(glob.glob(os.path.join(folder, "TidingsProducts__*.json"))):
            for product in json.load(open(path))["data"]["products"]["nodes"]:
                self.products[legacy(product["id"])] = product
        for path in sorted(glob.glob(os.path.join(folder, "TidingsCustomer__*.json"))):
            customer = json.load(open(path))["data"]["customer"]
            self.customers[legacy(customer["id"])] = customer
        for path in sorted(glob.glob(os.path.join(folder, "TidingsCustomerOrders__*.json"))):
            found = json.load(open(path))["data"]["customer"]
            for order in found["orders"]["nodes"]:
                self.customer_orders.setdefault(legacy(found["id"]), []).append(order)
                self.orders[legacy(order["id"])] = order
        for path in sorted(glob.glob(os.path.join(folder, "TidingsShopOrders__*.json"))):
            for order in json.load(open(path))["data"]["orders"]["nodes"]:
                self.orders.setdefault(legacy(order["id"]), order)

    def product_node(self, product, faults):
        nodes = product["variants"]["nodes"]
        return dict(product, variants=lambda info, first=None, after=None, **_: connection(nodes, first, after))

    def order_node(self, order):
        lines = order["lineItems"]["nodes"]
        refunds = order.get("refunds") or []
        return dict(
            order,
            refunds=lambda info, first=None, **_: refunds[: first or len(refunds)],
            lineItems=lambda info, first=None, after=None, **_: connection(lines, first, after),
        )

    def customer_node(self, customer, faults):
        key = legacy(customer["id"])

        def orders(info, first=None, after=None, sortKey=None, **_):
            listed = sorted(self.customer_orders.get(key, []), key=lambda o: (o["createdAt"], o["id"]))
            return connection([self.order_node(o) for o in listed], first, after, faults.get("endless", False))

        return dict(customer, orders=orders)

    def root(self, faults, consent_writes):
        def customer(info, id):
            key = legacy(id)
            if key in faults.get("deleted", []) or key not in self.customers:
                return None
            return self.customer_node(self.customers[key], faults)

        def order(info, id):
            found = self.orders.get(legacy(id))
            return self.order_node(found) if found else None

        def orders(info, first=None, after=None, **_):
            listed = sorted(self.orders.values(), key=lambda o: (o["createdAt"], o["id"]))
            return connection([self.order_node(o) for o in listed], first, after, faults.get("endless", False))

        def products(info, first=None, after=None, **_):
            listed = [self.product_node(p, faults) for _, p in sorted(self.products.items())]
            return connection(listed, first, after, faults.get("endless", False))

        def consent_update(info, input):
            key = legacy(input["customerId"])
            if key not in self.customers or key in faults.get("deleted", []):
                return {"customer": None, "userErrors": [{"field": ["customerId"], "message": "Customer not found"}]}
            consent_writes.append({"customer": key, **input["emailMarketingConsent"]})
            return {"customer": {"id": gid("Customer", key)}, "userErrors": []}

        def customer_by_identifier(info, identifier):
            wanted = (identifier.get("emailAddress") or "").lower()
            for key, found in sorted(self.customers.items()):
                address = ((found.get("defaultEmailAddress") or {}).get("emailAddress") or "").lower()
                if wanted and address == wanted and key not in faults.get("deleted", []):
                    return {"id": found["id"]}
            return None

        def customers(info, first=None, after=None, **_):
            listed = [self.customer_node(c, faults) for _, c in sorted(self.customers.items())]
            return connection(listed, first, after)

        def bulk_run(info, query, groupObjects=False):
            problems = problems_of(query, {}, coerce=False)
            if problems:
                with LOCK:
                    STATE["requests"][-1]["problems"] += ["bulk query: " + p for p in problems]
                return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": "; ".join(problems), "code": "INVALID"}]}
            result = graphql_sync(SCHEMA, query, root_value=self.root(faults, consent_writes))
            lines = []
            for edge in result.data["customers"]["edges"]:
                node = edge["node"]
                children = node.pop("orders", None)
                lines.append(json.dumps(node))
                for child in (children or {}).get("edges", []):
                    lines.append(json.dumps(dict(child["node"], __parentId=node["id"])))
            with LOCK:
                number = len(STATE["bulk"]) + 1
                STATE["bulk"][str(number)] = {"jsonl": "".join(line + "\n" for line in lines), "polls": 0, "count": len(lines)}
            return {"bulkOperation": {"id": gid("BulkOperation", number), "status": "CREATED"}, "userErrors": []}

        def node(info, id):
            with LOCK:
                operation = STATE["bulk"].get(legacy(id))
                if operation is None or not id.startswith("gid://shopify/BulkOperation/"):
                    return None
                operation["polls"] += 1
                polls = operation["polls"]
            found = {"__typename": "BulkOperation", "id": id, "objectCount": "0", "errorCode": None, "url": None, "partialDataUrl": None}
            if polls == 1:
                return dict(found, status="RUNNING")
            if faults.get("bulk") == "FAILED":
                return dict(found, status="FAILED", errorCode=faults.get("bulk_error", "INTERNAL_SERVER_ERROR"))
            return dict(found, status="COMPLETED", objectCount=str(operation["count"]), url="%s/_bulk/%s.jsonl" % (BASE[0], legacy(id)))

        scopes = faults.get("scopes", ["read_customers", "read_orders", "read_products", "read_inventory"])
        return {
            "customer": customer,
            "customerByIdentifier": customer_by_identifier,
            "order": order,
            "orders": orders,
            "products": products,
            "currentAppInstallation": {"accessScopes": [{"handle": s, "description": s} for s in scopes]},
            "customerEmailMarketingConsentUpdate": consent_update,
            "customers": customers,
            "bulkOperationRunQuery": bulk_run,
            "node": node,
        }


# --- the server ---------------------------------------------------------------------------------

TOKEN = arg("--token", "shpat_tidings_test")
VERSION = arg("--version", "2026-04")
RESTORE = float(arg("--restore", "50"))
HANG = float(arg("--hang", "30"))
LOCK = threading.Lock()
STATE = {"requests": [], "faults": {}, "script": [], "consent": [], "bulk": {}}
BASE = ["http://127.0.0.1:0"]


def requested_cost(document, variables):
    """A stand-in for Shopify's calculation: 2 per selection set, times the page size asked for."""
    first = variables.get("first") if isinstance(variables.get("first"), int) else 1
    return min(1000, 2 * document.count("{") * max(1, first) // 4 + 2)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        if self.path.startswith("/_requests"):
            with LOCK:
                return self.reply(200, STATE["requests"])
        if self.path.startswith("/_bulk/"):
            number = self.path[len("/_bulk/") :].split(".")[0]
            with LOCK:
                operation = STATE["bulk"].get(number)
                if operation is not None and self.headers.get("X-Shopify-Access-Token"):
                    STATE["requests"].append({"operationName": "bulk download", "variables": {}, "problems": ["the download sent the access token"], "fault": None})
            if operation is None:
                return self.reply(404, b"<Error>NoSuchKey</Error>", "application/xml")
            return self.reply(200, operation["jsonl"].encode(), "application/jsonl")
        if self.path.startswith("/_consent"):
            with LOCK:
                return self.reply(200, STATE["consent"])
        self.reply(404, {"errors": "Not Found"})

    def do_POST(self):
        raw = self.read_body()
        if self.path == "/_faults":
            faults = json.loads(raw or b"{}")
            with LOCK:
                STATE["script"] = list(faults.pop("script", []))
                STATE["faults"] = faults
            return self.reply(200, {})
        if self.path == "/_reset":
            with LOCK:
                STATE.update({"requests": [], "faults": {}, "script": [], "consent": [], "bulk": {}})
            return self.reply(200, {})
        expected = "/admin/api/%s/graphql.json" % VERSION
        if self.path != expected:
            return self.reply(404, {"errors": "Not Found"})
        problems = []
        if self.headers.get("X-Shopify-Access-Token") != TOKEN:
            return self.reply(401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            problems.append("Content-Type is not application/json")
        try:
            body = json.loads(raw)
            document, variables = body["query"], body.get("variables") or {}
            name = body.get("operationName")
        except (ValueError, KeyError, TypeError) as error:
            problems.append("body: %s" % error)
            body, document, variables, name = {}, "", {}, None
        if document:
            problems += problems_of(document, variables)
        with LOCK:
            fault = STATE["script"].pop(0) if STATE["script"] else None
            faults = dict(STATE["faults"])
            STATE["requests"].append({"operationName": name, "variables": variables, "problems": problems, "fault": fault})
        cost = requested_cost(document, variables if isinstance(variables, dict) else {})
        bucket = {"maximumAvailable": 1000.0, "currentlyAvailable": 1000.0 - cost, "restoreRate": RESTORE}
        if fault == "hang":
            time.sleep(HANG)
            self.close_connection = True
            return
        if fault in ("502", "503"):
            return self.reply(int(fault), b"<html><body>Bad gateway</body></html>", "text/html")
        if fault == "throttled":
            bucket["currentlyAvailable"] = min(float(faults.get("available", 0)), cost - 1.0)
            bucket["restoreRate"] = float(faults.get("restore", RESTORE))
            return self.reply(
                200,
                {
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                    "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": None, "throttleStatus": bucket}},
                },
            )
        if problems:
            return self.reply(200, {"errors": [{"message": p} for p in problems]})
        result = graphql_sync(SCHEMA, document, root_value=SHOP.root(faults, STATE["consent"]), variable_values=variables, operation_name=name)
        answer = {"data": result.data}
        if result.errors:
            answer["errors"] = [{"message": error.message, "path": error.path} for error in result.errors]
            with LOCK:
                STATE["requests"][-1]["problems"] += ["execution: " + error.message for error in result.errors]
        answer["extensions"] = {"cost": {"requestedQueryCost": cost, "actualQueryCost": cost // 2, "throttleStatus": bucket}}
        self.reply(200, answer)


def answer_problems(document, variables, answer):
    """Whether a recorded answer is one the schema allows for the request: the document is executed
    with the answer's own `data` as the root value, so every field is resolved from the answer and
    completed by the schema (nullability, enums, list shapes); the result must equal the answer."""
    data = answer.get("data")
    if not isinstance(data, dict):
        return ["answer: no data object"]

    def type_of(value, info, abstract):
        # An interface's object names its type by `__typename`, or by its gid (gid://shopify/<Type>/1).
        if not isinstance(value, dict):
            return None
        gid = str(value.get("id", ""))
        return value.get("__typename") or (gid.split("/")[-2] if gid.startswith("gid://") else None)

    result = graphql_sync(SCHEMA, document, root_value=data, variable_values=variables, type_resolver=type_of)
    found = ["answer: " + error.message + " at " + ".".join(str(p) for p in error.path or []) for error in result.errors or []]
    if not found and result.data != data:
        found.append("answer: fields beyond the selection or differing from the schema's completion")
    return found


def validate_mode():
    """Each request: syntax, validation, variable coercion (when it has `variables`), and with an
    `answer`, that the answer is what the schema completes for it."""
    requests = json.load(sys.stdin)
    verdicts = []
    for r in requests:
        problems = problems_of(r["document"], r.get("variables") or {}, "variables" in r)
        if not problems and "answer" in r:
            problems = answer_problems(r["document"], r.get("variables") or {}, r["answer"])
        verdicts.append(problems)
    print(json.dumps(verdicts))


if __name__ == "__main__":
    if "--validate" in sys.argv:
        validate_mode()
        sys.exit(0)
    SHOP = Shop(arg("--shop", os.path.join(ROOT, "Events/shop/shopify/admin/api/2026-04/graphql")))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    BASE[0] = "http://127.0.0.1:%d" % server.server_address[1]
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass

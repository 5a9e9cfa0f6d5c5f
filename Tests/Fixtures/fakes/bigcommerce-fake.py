#!/usr/bin/env python3
"""A loopback fake of the BigCommerce REST APIs Tidings reads, written from the OpenAPI files in
Tests/Fixtures/specs/bigcommerce (copied unchanged from shared/specs, see PROVENANCE.md) and
sharing no code with the Swift client. Its data is the recorded shop's BigCommerce folder
(Events/shop/bigcommerce, --shop), loaded once: customers, orders with their products, carts,
catalog products and categories; it answers any query over them, as the live API does.

  GET /stores/{hash}/v3/customers          id:in, page, limit, sort (date_created:asc), include,
                                           after; {"data": [...], "meta": {"pagination": {...}}},
                                           the first page also with `cursor_pagination`, a page
                                           `after` a cursor with only `cursor_pagination` (end_cursor,
                                           links.next while more follow); an `after` the fake did not
                                           issue gets 400 with the problem
  GET /stores/{hash}/v2/orders             customer_id, page, limit, sort; a list, 204 when empty (the
                                           recorded listings' orders; later ones only one by one)
  GET /stores/{hash}/v2/orders/{id}        the order or 404
  GET /stores/{hash}/v2/orders/{id}/products
  GET /stores/{hash}/v3/carts/{cartId}     include; {"data": cart} or 404
  GET /stores/{hash}/v3/abandoned-carts/{token}   {"data": {"cart_id": ...}} for a known token
  GET /stores/{hash}/v3/catalog/products, /v3/catalog/trees/categories (no catalog spec is in
                                           shared/specs: these are checked for headers only)
  GET  /_requests    every request: method, path, query, problems, fault, and whether the token matched
  POST /_faults      {"script": {"customers": ["429", "500"]}} answers the next requests of a route
                     (customers, orders, order, order_products, cart, abandoned_cart,
                     catalog_products, categories) with those faults in order, then clean;
                     {"deny_scopes": ["store_v2_orders_read_only"]} answers 403 to every route
                     that needs a scope; {"deleted_customers": ["11"]} makes customers vanish
                     (id:in finds nothing, /orders?customer_id= 204); {"endless": true} makes the
                     customers listing page for ever (every page says there is one more);
                     {"quota": N} gives the rate-limit window N requests (X-Rate-Limit-Requests-Left
                     counts down, a request past it gets 429) until it resets --reset-ms later;
                     {} turns all off
  POST /_reset       forgets requests and faults

Every request is checked against its operation: the path matches a path of the spec (v2 against
orders.v2.oas2.yml, v3 against customers, carts and abandoned carts), each query parameter is one
the operation declares and its value fits the parameter's schema (integer, number, string,
enum, form-style comma-separated arrays; V2's `sort` takes the enum value with `:asc`/`:desc`
as its description says), path parameters fit their schemas, the `Accept` header (a required
header parameter) is application/json, and `X-Auth-Token` (the security scheme) is the
configured token (--token). A request that fails gets 400 with the problems, recorded, so the test
fails loudly. Every answer carries the rate-limit headers X-Rate-Limit-Requests-Left,
X-Rate-Limit-Requests-Quota, X-Rate-Limit-Time-Reset-Ms and X-Rate-Limit-Time-Window-Ms.

Faults: 429 (with the rate-limit headers, reset --reset-ms), 429-bare (no headers at all), 500,
503, 403 (missing scope), 404, hang (no answer for --hang seconds, then the connection closes).

Usage: bigcommerce-fake.py [--root REPO_ROOT] [--shop DIR] [--store HASH] [--token T]
       [--reset-ms N] [--hang S] [--self-check]. Prints its port, serves on 127.0.0.1 until killed.
"""
import base64, glob, json, os, re, signal, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qsl, quote, unquote

import yaml


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


ROOT = option("--root", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
SPECS = os.path.join(ROOT, "Tests", "Fixtures", "specs", "bigcommerce")
STORE = option("--store", "nw4x7k2q")
SHOP = option("--shop", os.path.join(ROOT, "Events", "shop", "bigcommerce"))
TOKEN = option("--token", "bc_fake_token")
RESET_MS = int(option("--reset-ms", "200"))
HANG = float(option("--hang", "30"))
WINDOW_MS = 30000

# The OAuth scope each route needs (the X-Auth-Token security scheme's tables in the specs).
SCOPES = {
    "customers": "store_v2_customers_read_only", "orders": "store_v2_orders_read_only",
    "order": "store_v2_orders_read_only", "order_products": "store_v2_orders_read_only",
    "cart": "store_cart_read_only", "abandoned_cart": "store_v2_information_read_only",
    "catalog_products": "store_v2_products_read_only", "categories": "store_v2_products_read_only",
}


def load_spec(name):
    with open(os.path.join(SPECS, name)) as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


V2 = [load_spec("orders.v2.oas2.yml")]
V3 = [load_spec(name) for name in ("customers.v3.yml", "carts.v3.yml", "abandoned_carts.v3.yml")]


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def template_regex(template):
    return re.compile("^" + re.sub(r"\{[^}]+\}", "([^/]+)", template) + "$")


def find_operation(version, rest):
    """(spec, path template, parameters) of GET `rest` under `version`, or None."""
    for spec in (V2 if version == "v2" else V3):
        for template, item in spec["paths"].items():
            match = template_regex(template).match(rest)
            if not match or "get" not in item:
                continue
            parameters = {}
            for raw in (item.get("parameters") or []) + (item["get"].get("parameters") or []):
                parameter = resolve(spec, raw)
                parameters[(parameter["in"], parameter["name"])] = parameter
            names = re.findall(r"\{([^}]+)\}", template)
            return spec, template, parameters, dict(zip(names, match.groups()))
    return None


def fits(spec, value, schema, name, problems, sort_suffix=False):
    schema = resolve(spec, schema or {})
    kind = schema.get("type")
    if kind == "array":
        # Every array parameter of these operations is style form, explode false: comma-separated.
        for item in value.split(","):
            fits(spec, item, schema.get("items", {}), name, problems)
        return
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        problems.append("parameter %s: %r is not an integer" % (name, value))
    elif kind == "number" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        problems.append("parameter %s: %r is not a number" % (name, value))
    if "enum" in schema:
        candidate = re.sub(r":(asc|desc)$", "", value) if sort_suffix else value
        if candidate not in [str(e) for e in schema["enum"]]:
            problems.append("parameter %s: %r is not one of %s" % (name, value, schema["enum"]))
    if schema.get("format") == "uuid" and not re.fullmatch(r"[0-9a-fA-F-]{32,36}", value):
        problems.append("parameter %s: %r is not a UUID" % (name, value))


def check(method, path, query, headers):
    """The route name and the problems of one request."""
    problems = []
    if headers.get("x-auth-token") != TOKEN:
        problems.append("header X-Auth-Token: missing or not the configured token")
    match = re.match(r"^/stores/([^/]+)/(v2|v3)(/.*)$", path)
    if method != "GET":
        return None, ["method %s: the fake serves GET only" % method]
    if not match:
        return None, problems + ["path %s is not /stores/{store_hash}/v2|v3/..." % path]
    store, version, rest = match.groups()
    if store != STORE:
        problems.append("store hash %r is not %r" % (store, STORE))
    route = route_of(version, rest)
    if rest.startswith("/catalog/"):
        if (headers.get("accept") or "") != "application/json":
            problems.append("header Accept: %r, expected 'application/json'" % headers.get("accept"))
        return route, problems
    found = find_operation(version, rest)
    if not found:
        return route, problems + ["GET %s/%s is not an operation of the %s specs" % (version, rest, version)]
    spec, template, parameters, path_values = found
    for (where, name), parameter in parameters.items():
        if where == "header" and name.lower() == "accept":
            if parameter.get("required") and (headers.get("accept") or "") != "application/json":
                problems.append("header Accept: %r, expected 'application/json'" % headers.get("accept"))
        if where == "query" and parameter.get("required") and name not in dict(query):
            problems.append("query parameter %s is required" % name)
    for name, value in path_values.items():
        parameter = parameters.get(("path", name))
        if parameter is None:
            problems.append("path parameter %s is not declared" % name)
        else:
            fits(spec, unquote(value), parameter.get("schema"), name, problems)
    for name, value in query:
        parameter = parameters.get(("query", name))
        if parameter is None:
            problems.append("query parameter %s is not declared by GET %s" % (name, template))
            continue
        fits(spec, value, parameter.get("schema"), name, problems, sort_suffix=(version == "v2" and name == "sort"))
    return route, problems


def route_of(version, rest):
    if version == "v3" and rest == "/customers":
        return "customers"
    if version == "v2" and rest == "/orders":
        return "orders"
    if version == "v2" and re.fullmatch(r"/orders/[^/]+", rest):
        return "order"
    if version == "v2" and re.fullmatch(r"/orders/[^/]+/products", rest):
        return "order_products"
    if version == "v3" and re.fullmatch(r"/carts/[^/]+", rest):
        return "cart"
    if version == "v3" and re.fullmatch(r"/abandoned-carts/[^/]+", rest):
        return "abandoned_cart"
    if version == "v3" and rest == "/catalog/products":
        return "catalog_products"
    if version == "v3" and rest == "/catalog/trees/categories":
        return "categories"
    return None


# --- data ---------------------------------------------------------------------------------------

BASE = os.path.join(SHOP, "stores", STORE)
customers, orders, products, carts, tokens = {}, {}, {}, {}, {}
for file in glob.glob(os.path.join(BASE, "v3", "customers__id_in=*.json")):
    for customer in json.load(open(file))["data"]:
        customers[str(customer["id"])] = customer
for file in glob.glob(os.path.join(BASE, "v2", "orders", "*.json")):
    order = json.load(open(file))
    orders[str(order["id"])] = order
# The listings as recorded: the orders the order events announce (901...) exist one by one but
# were placed after the recorded listings, as on a live store between webhook and replay.
listed = {}
for file in glob.glob(os.path.join(BASE, "v2", "orders__*.json")):
    for order in json.load(open(file)):
        listed[str(order["id"])] = order
for file in glob.glob(os.path.join(BASE, "v2", "orders", "*", "products.json")):
    products[os.path.basename(os.path.dirname(file))] = json.load(open(file))
for file in glob.glob(os.path.join(BASE, "v3", "carts", "*.json")):
    cart = json.load(open(file))
    carts[cart["data"]["id"]] = cart
catalog = json.load(open(glob.glob(os.path.join(BASE, "v3", "catalog", "products__*.json"))[0]))["data"]
categories = json.load(open(glob.glob(os.path.join(BASE, "v3", "catalog", "trees", "categories__*.json"))[0]))["data"]
for event in glob.glob(os.path.join(ROOT, "Events", "cartAbandoned", "bigcommerce-*.json")):
    data = json.load(open(event)).get("data", {})
    if data.get("token") and data.get("id"):
        tokens[data["token"]] = data["id"]

lock = threading.Lock()
state = {"requests": [], "script": {}, "deny": set(), "deleted": set(), "endless": False,
         "quota": None, "left": None, "window_end": 0.0}


def not_found():
    return 404, {"status": 404, "title": "The requested resource was not found.",
                 "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}


def paged(items, query):
    limit = int(float(query.get("limit", "50")))
    page = int(float(query.get("page", "1")))
    total_pages = max(1, -(-len(items) // limit))
    chunk = items[(page - 1) * limit: page * limit]
    if state["endless"]:
        total_pages = page + 1
        chunk = items[:limit]
    return {"data": chunk, "meta": {"pagination": {
        "total": len(items), "count": len(chunk), "per_page": limit, "current_page": page,
        "total_pages": total_pages, "links": {"current": "?page=%d&limit=%d" % (page, limit)}}}}


def cursor_of(customer_id):
    """BigCommerce's cursor: base64 of {"id": N} (customers.v3.yml's example `eyJpZCI6MjA0fQ`)."""
    return base64.b64encode(json.dumps({"id": customer_id}, separators=(",", ":")).encode()).decode().rstrip("=")


def cursor_meta(chunk, more, limit):
    end = cursor_of(chunk[-1]["id"]) if chunk else None
    if state["endless"]:
        state["endless_page"] = state.get("endless_page", 0) + 1
        end = cursor_of(10_000_000 + state["endless_page"])
    meta = {"count": len(chunk), "per_page": limit, "start_cursor": cursor_of(chunk[0]["id"]) if chunk else None, "end_cursor": end, "links": {}}
    if more:
        meta["links"]["next"] = "?limit=%d&after=%s" % (limit, quote(end, safe=""))
    return meta


def cursor_paged(alive, query):
    """A page `after` a cursor: only `cursor_pagination` in `meta`, `links.next` while more follow.
    A cursor the fake never issued is a problem of the request (400)."""
    limit = int(float(query.get("limit", "50")))
    cursor = query.get("after") or query.get("before")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after_id = int(json.loads(base64.b64decode(padded))["id"])
    except (ValueError, KeyError, TypeError):
        with lock:
            state["requests"][-1]["problems"].append("after: %r is not a cursor this store issued" % cursor)
        return 400, {"status": 400, "title": "Invalid cursor", "problems": ["after: %r is not a cursor this store issued" % cursor]}
    if state["endless"]:
        chunk = alive[:limit]
        return 200, {"data": chunk, "meta": {"cursor_pagination": cursor_meta(chunk, True, limit)}}
    rest = [c for c in alive if c["id"] > after_id]
    chunk = rest[:limit]
    return 200, {"data": chunk, "meta": {"cursor_pagination": cursor_meta(chunk, len(rest) > limit, limit)}}


def answer(route, rest, query):
    """The clean answer: status and JSON body (None for no body)."""
    if route == "customers":
        alive = [c for id, c in customers.items() if id not in state["deleted"]]
        if "id:in" in query:
            wanted = set(query["id:in"].split(","))
            alive = [c for c in alive if str(c["id"]) in wanted]
        if "after" in query or "before" in query:
            return cursor_paged(sorted(alive, key=lambda c: c["id"]), query)
        if query.get("sort") == "date_created:asc":
            alive.sort(key=lambda c: (c.get("date_created", ""), c["id"]))
        else:
            alive.sort(key=lambda c: c["id"])
        body = paged(alive, query)
        if int(float(query.get("page", "1"))) == 1 and "id:in" not in query and alive:
            # The first page carries both `pagination` and `cursor_pagination` (customers.v3.yml,
            # _metaCollectionWithCursorPagination).
            chunk = body["data"]
            body["meta"]["cursor_pagination"] = cursor_meta(chunk, len(chunk) < len(alive) or state["endless"], body["meta"]["pagination"]["per_page"])
        return 200, body
    if route == "orders":
        found = list(listed.values())
        if "customer_id" in query:
            if query["customer_id"] in state["deleted"]:
                found = []
            found = [o for o in found if str(o["customer_id"]) == query["customer_id"]]
        found.sort(key=lambda o: o["id"])
        limit = int(float(query.get("limit", "50")))
        page = int(float(query.get("page", "1")))
        chunk = found[(page - 1) * limit: page * limit]
        return (200, chunk) if chunk else (204, None)
    if route == "order":
        order = orders.get(rest.split("/")[2])
        return (200, order) if order else not_found()
    if route == "order_products":
        id = rest.split("/")[2]
        return (200, products.get(id, [])) if id in orders else not_found()
    if route == "cart":
        cart = carts.get(unquote(rest.split("/")[2]))
        return (200, cart) if cart else not_found()
    if route == "abandoned_cart":
        cart = tokens.get(unquote(rest.split("/")[2]))
        return (200, {"data": {"cart_id": cart}}) if cart else not_found()
    if route == "catalog_products":
        return 200, paged(catalog, query)
    if route == "categories":
        return 200, paged(categories, query)
    return not_found()


def rate_headers(throttled):
    now = time.monotonic()
    if state["quota"] is None:
        return {"X-Rate-Limit-Requests-Left": "1000", "X-Rate-Limit-Requests-Quota": "1000",
                "X-Rate-Limit-Time-Reset-Ms": str(WINDOW_MS), "X-Rate-Limit-Time-Window-Ms": str(WINDOW_MS)}
    reset = max(0, int((state["window_end"] - now) * 1000))
    return {"X-Rate-Limit-Requests-Left": str(max(0, state["left"])), "X-Rate-Limit-Requests-Quota": str(state["quota"]),
            "X-Rate-Limit-Time-Reset-Ms": str(reset), "X-Rate-Limit-Time-Window-Ms": str(RESET_MS)}


def take_window():
    """Counts a request against the quota; True when it is over it (a 429)."""
    if state["quota"] is None:
        return False
    now = time.monotonic()
    if now >= state["window_end"]:
        state["window_end"] = now + RESET_MS / 1000
        state["left"] = state["quota"]
    if state["left"] <= 0:
        return True
    state["left"] -= 1
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, payload, extra=None):
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def control(self, parts):
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        with lock:
            if parts.path == "/_reset":
                state.update(requests=[], script={}, deny=set(), deleted=set(), endless=False, quota=None)
            else:
                state["script"] = {k: list(v) for k, v in (body.get("script") or {}).items()}
                state["deny"] = set(body.get("deny_scopes") or [])
                state["deleted"] = set(str(i) for i in (body.get("deleted_customers") or []))
                state["endless"] = bool(body.get("endless"))
                state["quota"] = body.get("quota")
                state["left"] = state["quota"]
                state["window_end"] = 0.0
        self.send(200, {"ok": True})

    def do_POST(self):
        self.control(urlsplit(self.path))

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == "/_requests":
            with lock:
                self.send(200, state["requests"])
            return
        self.handle_api("GET", parts)

    def do_PUT(self):
        self.handle_api("PUT", urlsplit(self.path))

    def handle_api(self, method, parts):
        headers = {k.lower(): v for k, v in self.headers.items()}
        query = parse_qsl(parts.query, keep_blank_values=True)
        route, problems = check(method, parts.path, query, headers)
        with lock:
            fault = "clean"
            queue = state["script"].get(route)
            if queue:
                fault = queue.pop(0)
            elif route in SCOPES and SCOPES[route] in state["deny"]:
                fault = "403"
            throttled = fault == "clean" and not problems and take_window()
            if throttled:
                fault = "429"
            limits = rate_headers(throttled)
            state["requests"].append({
                "method": method, "path": parts.path, "query": dict(query), "route": route, "problems": problems,
                "fault": fault, "token_matched": headers.get("x-auth-token") == TOKEN,
                "accept": headers.get("accept")})
        if problems:
            self.send(400, {"status": 400, "title": "The request is not valid for the spec", "problems": problems})
            return
        if fault == "hang":
            time.sleep(HANG)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault == "429":
            limits["X-Rate-Limit-Requests-Left"] = "0"
            limits["X-Rate-Limit-Time-Reset-Ms"] = str(RESET_MS if state["quota"] is None else limits["X-Rate-Limit-Time-Reset-Ms"])
            self.send(429, {"status": 429, "title": "Too many requests"}, limits)
            return
        if fault == "429-bare":
            self.send(429, {"status": 429, "title": "Too many requests"})
            return
        if fault in ("500", "503"):
            self.send(int(fault), {"status": int(fault), "title": "Internal Server Error"}, limits)
            return
        if fault == "403":
            self.send(403, {"status": 403, "title": "You don't have a required scope to access the endpoint",
                            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}, limits)
            return
        if fault == "404":
            self.send(*not_found(), limits)
            return
        rest = re.match(r"^/stores/[^/]+/v[23](/.*)$", parts.path).group(1)
        status, body = answer(route, rest, dict(query))
        self.send(status, body, limits)


def self_check():
    """Validates good and broken requests; returns how many verdicts were wrong."""
    good = {"x-auth-token": TOKEN, "accept": "application/json"}
    base = "/stores/%s" % STORE
    cases = [
        ("customer by id", base + "/v3/customers", [("id:in", "11")], good, True),
        ("customer listing", base + "/v3/customers", [("sort", "date_created:asc"), ("limit", "250"), ("page", "2")], good, True),
        ("orders of a customer", base + "/v2/orders", [("customer_id", "11"), ("limit", "250")], good, True),
        ("orders sorted", base + "/v2/orders", [("sort", "id:asc"), ("limit", "250")], good, True),
        ("order products", base + "/v2/orders/219/products", [], good, True),
        ("cart", base + "/v3/carts/5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b01", [("include", "line_items.physical_items.options")], good, True),
        ("no token", base + "/v3/customers", [("id:in", "11")], {"accept": "application/json"}, False),
        ("no accept", base + "/v2/orders", [("customer_id", "11")], {"x-auth-token": TOKEN}, False),
        ("unknown parameter", base + "/v3/customers", [("customer_id", "11")], good, False),
        ("id not an integer", base + "/v3/customers", [("id:in", "11,abc")], good, False),
        ("bad sort", base + "/v3/customers", [("sort", "id:asc")], good, False),
        ("bad include", base + "/v3/carts/5f1c0d7e-2a4b-4c1e-9b1a-7d3e2f4a6b01", [("include", "options")], good, False),
        ("order id not an integer", base + "/v2/orders/abc", [], good, False),
        ("wrong store", "/stores/other/v3/customers", [], good, False),
        ("not an operation", base + "/v3/customerz", [], good, False),
    ]
    wrong = 0
    for name, path, query, headers, valid in cases:
        _, problems = check("GET", path, query, headers)
        verdict = not problems
        print("%s %s: %s" % ("ok  " if verdict == valid else "WRONG", name, "; ".join(problems) or "valid"))
        wrong += verdict != valid
    return wrong


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (OSError, ValueError)):
            super().handle_error(request, client_address)


if __name__ == "__main__":
    if "--self-check" in sys.argv:
        sys.exit(1 if self_check() else 0)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass

#!/usr/bin/env python3
"""moto (PyPI moto[server]) in server mode on a free loopback port, for the SES and state tests.

Prints the port on one line once the server accepts requests, then serves until it is killed.
The tests read what moto received at GET /moto-api/data.json (ses.RawMessage[].raw_data).

Requests are handled one at a time. moto's backends keep plain dicts without locks, so two
threads running the same conditional PutItem (`attribute_not_exists`) can both find the key free
and both succeed, which DynamoDB never lets happen (a conditional write is atomic). The
exactly-once tests saw it: 8 processes claiming one event at once, two claims granted. One lock
around each request makes moto's conditional writes atomic, as DynamoDB's are; the clients still
race each other for it.
"""
import logging
import threading
import time

from moto.moto_server import werkzeug_app
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

_one_at_a_time = threading.Lock()
_dispatch = werkzeug_app.DomainDispatcherApplication.__call__


def _serialized(self, environ, start_response):
    with _one_at_a_time:
        # The backend runs inside the call; the body is read out before the lock is let go.
        return list(_dispatch(self, environ, start_response))


werkzeug_app.DomainDispatcherApplication.__call__ = _serialized

# No line per request on stderr: thousands of requests a test, and nobody reads them.
logging.getLogger("werkzeug").setLevel(logging.ERROR)

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
while True:
    time.sleep(3600)

#!/usr/bin/env python3
"""moto (PyPI moto[server]) in server mode on a free loopback port, for the SES tests.

Prints the port on one line once the server accepts requests, then serves until it is killed.
The tests read what moto received at GET /moto-api/data.json (ses.RawMessage[].raw_data).
"""
import time

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
while True:
    time.sleep(3600)

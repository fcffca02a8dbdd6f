"""A local AWS endpoint for the demo: moto's server on a free loopback port, inside this process."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["local_aws"]


@contextmanager
def local_aws() -> Iterator[str]:
    """Start moto's threaded server on 127.0.0.1 (a free port), yield its URL, always stop it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=10) as response:
            if response.status != 200:
                raise RuntimeError(f"the local AWS endpoint at {url} did not come up")
        yield url
    finally:
        server.stop()

"""``python -m examples.bikeshop``: the bike shop's site on the embedded store.

Data lives in ``bikeshop.db`` in the working directory (or wherever ``POLYNOM_URL`` points);
the first start creates the entities and writes sample data. Options: ``--host``,
``--port`` (or ``PORT``), ``--url``. With ``CELERY_BROKER_URL`` set, reprices are queued for
a Celery worker (``celery -A examples.bikeshop.tasks worker``); without it they run in the
request.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

import uvicorn

from examples.bikeshop.seed import seed
from examples.bikeshop.web import create_app, open_application
from polynom.errors import PolynomError


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server, saying where the site is once it listens (not before: a browser
    or a script opening the address at once must find it answering)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            base = f"http://{self.config.host}:{self.config.port}"
            api = f"{base}/api"
            print(f"bikeshop: open {base}/  (the admin; the API is {api}, its docs {api}/docs)")
            print("bikeshop: Ctrl+C stops")
            sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.bikeshop", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--url", help="store address (default: $POLYNOM_URL or bikeshop.db)")
    args = parser.parse_args(argv)

    application = open_application(args.url)
    site = create_app(application)
    try:
        # Opened here rather than by the server's lifespan, so that a store that cannot be
        # opened is one line on stderr; the lifespan then finds it open and leaves it be.
        with application:
            written = seed(site.state.data_manager)
            where = application.store.url
            if written:
                print(f"bikeshop: wrote {written} sample entries to {where}")
            else:
                print(f"bikeshop: using the data in {where}")
            if site.state.queued:
                print(f"bikeshop: reprices are queued on {os.environ['CELERY_BROKER_URL']}")
            else:
                print("bikeshop: reprices run in the request (set CELERY_BROKER_URL to queue them)")
            config = uvicorn.Config(site, host=args.host, port=args.port, log_level="warning")
            _AnnouncingServer(config).run()
    except PolynomError as exc:
        print(f"bikeshop: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

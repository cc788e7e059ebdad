"""Run the reference booking site locally: ``make webapp``, then open the address printed.

Werkzeug's development server, never in debug mode: enough for one person trying the
example. A deployment runs ``webapp:create_app()`` under a production WSGI server
behind HTTPS, with ``CLIENTCARD_WEBAPP_SECRET`` and ``CLIENTCARD_WEBAPP_SECURE_COOKIES=1``.
"""

from __future__ import annotations

import argparse
import logging

from webapp import booking_site, create_app
from webapp.config import WebappConfig


def main() -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m webapp", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = WebappConfig.from_env()
    print(f"cards are kept in {config.db_path}")
    app = create_app(config)
    try:
        app.run(host=args.host, port=args.port, debug=False, use_reloader=False)
    finally:
        booking_site(app).close()


if __name__ == "__main__":
    main()

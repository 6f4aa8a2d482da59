"""``python -m ocpp_gateway``: the OCPP websocket server on :9000 (or $PORT), wss:// when a certificate is set."""

import functools

from ladeplan_platform.runner import run_service
from ocpp_gateway.app import create_app
from ocpp_gateway.config import DEFAULT_PORT, SERVICE, Settings
from ocpp_gateway.tls import server_context


def main() -> None:
    # Read once, after logging is set up, and shared: the app and its TLS context see one security profile.
    settings = functools.cache(Settings)
    run_service(SERVICE, lambda: create_app(settings()), DEFAULT_PORT, ssl_context=lambda: server_context(settings()))


if __name__ == "__main__":
    main()

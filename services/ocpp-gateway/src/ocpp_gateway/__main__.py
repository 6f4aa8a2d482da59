"""``python -m ocpp_gateway``: the OCPP websocket server on :9000 (or $PORT)."""

from ladeplan_platform.runner import run_service
from ocpp_gateway.app import create_app
from ocpp_gateway.config import DEFAULT_PORT, SERVICE


def main() -> None:
    run_service(SERVICE, create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()

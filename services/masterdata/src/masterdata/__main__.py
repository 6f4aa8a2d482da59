"""``python -m masterdata``: the operator API, the charge point authentication RPC and the outbox relay."""

from __future__ import annotations

from ladeplan_platform.runner import run_service
from masterdata.app import create_app
from masterdata.config import DEFAULT_PORT, SERVICE


def main() -> None:
    run_service(SERVICE, create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()

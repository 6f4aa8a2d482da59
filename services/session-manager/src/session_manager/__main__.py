"""``python -m session_manager``: the operator API on :8082 (or ``PORT``) with the bus consumers beside it."""

from __future__ import annotations

from ladeplan_platform.runner import run_service
from session_manager.app import create_app
from session_manager.config import DEFAULT_PORT, SERVICE


def main() -> None:
    run_service(SERVICE, create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()

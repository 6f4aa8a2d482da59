"""``python -m receipts``: the operator API on :8083 (or ``PORT``) with the bus consumers beside it."""

from __future__ import annotations

from ladeplan_platform.runner import run_service
from receipts.app import create_app
from receipts.config import DEFAULT_PORT, SERVICE


def main() -> None:
    run_service(SERVICE, create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()

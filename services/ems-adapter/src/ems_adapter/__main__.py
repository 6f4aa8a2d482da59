"""``python -m ems_adapter``: the operator API on :8085 (or ``PORT``), the bus consumers and the replanner."""

from __future__ import annotations

from ems_adapter.app import create_app
from ems_adapter.config import DEFAULT_PORT, SERVICE
from ladeplan_platform.runner import run_service


def main() -> None:
    run_service(SERVICE, create_app, DEFAULT_PORT)


if __name__ == "__main__":
    main()

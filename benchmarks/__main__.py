"""Run every benchmark and print its table."""

from __future__ import annotations

import os

from benchmarks import gateway, park, receipts_verify


def main() -> None:
    database = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    print(gateway.table(gateway.run(database, amqp)), flush=True)
    print()
    print(receipts_verify.table(receipts_verify.run()), flush=True)
    print()
    print(park.table(park.run()), flush=True)


if __name__ == "__main__":
    main()

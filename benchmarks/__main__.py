"""Run every benchmark and print its table.

Scale knobs: BENCH_CONNECTIONS (2000), BENCH_RATE (1000 msg/s), BENCH_SECONDS (15) for the gateway at
scale; BENCH_CHARGE_POINTS/BENCH_FRAMES/BENCH_ROUNDS for peak throughput; PARK_DAYS/PARK_SCALES/PARK_ACN for PARK.
"""

from __future__ import annotations

import os

from benchmarks import gateway, gateway_scale, park, receipts_verify


def main() -> None:
    database = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    print(gateway.table(gateway.run(database, amqp)), flush=True)
    print()
    print(gateway_scale.table(gateway_scale.run(database, amqp)), flush=True)
    print()
    print(receipts_verify.table(receipts_verify.run()), flush=True)
    print()
    print(park.table(park.run()), flush=True)


if __name__ == "__main__":
    main()

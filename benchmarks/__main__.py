"""Run every benchmark and print its table.

Scale knobs: BENCH_CONNECTIONS (2000), BENCH_RATE (1000 msg/s), BENCH_SECONDS (15) for the gateway at
scale; BENCH_CHARGE_POINTS/BENCH_FRAMES/BENCH_ROUNDS for peak throughput; PARK_DAYS/PARK_SCALES/PARK_ACN for PARK.
"""

from __future__ import annotations

from benchmarks import gateway, gateway_scale, park, receipts_verify
from ladeplan.sandbox import LOCAL_AMQP_URL, LOCAL_DATABASE_URL


def main() -> None:
    database, amqp = LOCAL_DATABASE_URL, LOCAL_AMQP_URL
    print(gateway.table(gateway.run(database, amqp)), flush=True)
    print()
    print(gateway_scale.table(gateway_scale.run(database, amqp)), flush=True)
    print()
    print(receipts_verify.table(receipts_verify.run()), flush=True)
    print()
    print(park.table(park.run()), flush=True)


if __name__ == "__main__":
    main()

"""Gateway throughput and latency against a bare aiohttp+orjson websocket responder, in one run.

The whole stack runs as processes on a throw-away database and vhost; the load generator runs in
this process. Heartbeats measure the gateway's own per-frame cost (parse, schema validation in
both directions, routing); MeterValues add the confirmed publish to RabbitMQ before the answer.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

import aiohttp

from benchmarks.load import LoadResult, run_load
from ladeplan.migrate import migrate_all
from ladeplan.sandbox import LOCAL_AMQP_URL, LOCAL_DATABASE_URL, temporary_database, temporary_vhost
from ladeplan.services import SERVICES
from ladeplan.supervisor import start_services, stop, wait_healthy

API_KEY = "bench-operator-key"
PASSWORD = "bench-password-0123456789"
CHARGE_POINTS = int(os.environ.get("BENCH_CHARGE_POINTS", "50"))
FRAMES = int(os.environ.get("BENCH_FRAMES", "200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def heartbeat(n: int) -> str:
    return f'[2,"hb{n}","Heartbeat",{{}}]'


def meter_values(n: int) -> str:
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return (
        f'[2,"mv{n}","MeterValues",{{"connectorId":1,"meterValue":[{{"timestamp":"{stamp}",'
        f'"sampledValue":[{{"value":"{1000 + n}","unit":"Wh","measurand":"Energy.Active.Import.Register"}}]}}]}}]'
    )


async def _register(masterdata_port: int, count: int) -> list[tuple[str, str]]:
    api = f"http://127.0.0.1:{masterdata_port}/api/v1"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        async with http.post(f"{api}/locations", json={"name": "Bench", "timezone": "UTC", "grid_limit_kw": 1000}) as r:
            location = (await r.json())["id"]
        ids = []
        for n in range(count):
            cp_id = f"BENCH-{n:05d}"
            body = {
                "id": cp_id,
                "location_id": location,
                "password": PASSWORD,
                "connectors": [{"connector_id": 1, "max_power_kw": 11}],
            }
            async with http.post(f"{api}/charge-points", json=body) as r:
                if r.status != 201:
                    raise RuntimeError(await r.text())
            ids.append((cp_id, PASSWORD))
        return ids


def _median_result(results: list[LoadResult]) -> LoadResult:
    return sorted(results, key=lambda r: r.rate)[len(results) // 2]


async def _measure(url: str, cps: list[tuple[str, str]], frame: object) -> LoadResult:
    results = [await run_load(url, cps, frame, FRAMES) for _ in range(ROUNDS)]  # type: ignore[arg-type]
    return _median_result(results)


def run(server_db_url: str, amqp_url: str) -> list[tuple[str, LoadResult]]:
    with (
        temporary_database(server_db_url, prefix="ladeplan_bench") as db,
        temporary_vhost(amqp_url, "ladeplan-bench") as mq,
    ):
        migrate_all(db)
        services = [replace(s, port=_free_port()) for s in SERVICES]
        env = {**os.environ, "DATABASE_URL": db, "AMQP_URL": mq, "OPERATOR_API_KEYS": API_KEY, "LOG_LEVEL": "WARNING"}
        processes = start_services(env, services)
        bare_port = _free_port()
        processes["bare"] = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bare_responder", str(bare_port)], start_new_session=True
        )
        try:
            asyncio.run(wait_healthy(services, processes))

            async def scenario() -> list[tuple[str, LoadResult]]:
                ports = {s.name: s.port for s in services}
                cps = await _register(ports["masterdata"], CHARGE_POINTS)
                await asyncio.sleep(0.5)
                gateway = f"ws://127.0.0.1:{ports['ocpp-gateway']}"
                bare = f"ws://127.0.0.1:{bare_port}"
                return [
                    ("bare aiohttp+orjson responder (baseline)", await _measure(bare, cps, heartbeat)),
                    ("gateway Heartbeat", await _measure(gateway, cps, heartbeat)),
                    ("gateway MeterValues (confirmed publish)", await _measure(gateway, cps, meter_values)),
                ]

            return asyncio.run(scenario())
        finally:
            stop(processes)


def table(rows: list[tuple[str, LoadResult]]) -> str:
    baseline = rows[0][1].rate
    lines = [
        f"Gateway throughput: {CHARGE_POINTS} charge points x {FRAMES} CALLs, median of {ROUNDS} rounds",
        f"{'scenario':<44} {'msg/s':>9} {'vs base':>8} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    for name, result in rows:
        lines.append(
            f"{name:<44} {result.rate:>9.0f} {result.rate / baseline:>7.1%} "
            f"{result.median_ms:>8.2f} {result.percentile(0.99):>8.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    """``python -m benchmarks.gateway``: this benchmark alone (``make bench`` runs them all)."""
    database, amqp = LOCAL_DATABASE_URL, LOCAL_AMQP_URL
    print(table(run(database, amqp)), flush=True)


if __name__ == "__main__":
    main()

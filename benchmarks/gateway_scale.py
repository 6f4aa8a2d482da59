"""Many charge points on one gateway process: connections held, memory per connection, mixed load.

The whole stack runs as processes on a throw-away database and vhost. Charge points are seeded
straight into masterdata's tables with one argon2 hash (registering thousands through the API
would spend the run hashing); every connection still goes through the real handshake check.
Each connected charge point then sends Heartbeat, StatusNotification and MeterValues at its share
of the offered rate. Reported: connections held, ramp time, gateway RSS growth per connection,
answered messages/s with p50/p99 answer latency, and for MeterValues the end-to-end latency from
the frame's timestamp to the row session-manager stored (same clock).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg

from benchmarks.gateway import API_KEY, PASSWORD, _free_port
from ladeplan.migrate import migrate_all
from ladeplan.sandbox import temporary_database, temporary_vhost
from ladeplan.services import SERVICES
from ladeplan.supervisor import start_services, stop, wait_healthy
from masterdata.domain.passwords import CredentialHasher

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "2000"))
RATE = float(os.environ.get("BENCH_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
MIX = (("Heartbeat", 0.2), ("StatusNotification", 0.2), ("MeterValues", 0.6))


@dataclass
class ScaleResult:
    connections: int
    held: int
    failures: int
    ramp_s: float
    kib_per_connection: float
    offered_rate: float
    answered_rate: float
    p50_ms: float
    p99_ms: float
    meter_values_sent: int
    meter_values_stored: int
    stored_p50_ms: float
    stored_p99_ms: float


class Peer:
    """A charge point's socket with a reader that keeps answering pings while the peer waits its turn.

    Without a reader, sockets connected early in the ramp would not answer the gateway's pings
    and be closed as dead before the load starts, as a real charge point would not be.
    """

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.replies: asyncio.Queue[str] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.replies.put_nowait(str(message.data))

    async def close(self) -> None:
        await self.socket.close()
        self._reader.cancel()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def _seed(database_url: str, count: int) -> list[str]:
    password_hash = CredentialHasher().hash(PASSWORD)
    ids = [f"SCALE-{n:05d}" for n in range(count)]
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "masterdata"})
    try:
        location = uuid.uuid4()
        await conn.execute(
            "INSERT INTO locations (id, name, timezone, grid_limit_kw) VALUES ($1, 'Scale', 'UTC', 10000)", location
        )
        await conn.executemany(
            "INSERT INTO charge_points (id, location_id, password_hash) VALUES ($1, $2, $3)",
            [(cp, location, password_hash) for cp in ids],
        )
        await conn.executemany(
            "INSERT INTO connectors (charge_point_id, connector_id, max_power_kw) VALUES ($1, 1, 11)",
            [(cp,) for cp in ids],
        )
    finally:
        await conn.close()
    return ids


def _frame(action: str, n: int) -> str:
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    if action == "Heartbeat":
        return f'[2,"h{n}","Heartbeat",{{}}]'
    if action == "StatusNotification":
        return (
            f'[2,"s{n}","StatusNotification",{{"connectorId":1,"errorCode":"NoError",'
            f'"status":"Available","timestamp":"{stamp}"}}]'
        )
    return (
        f'[2,"m{n}","MeterValues",{{"connectorId":1,"meterValue":[{{"timestamp":"{stamp}",'
        f'"sampledValue":[{{"value":"{1000 + n}","unit":"Wh","measurand":"Energy.Active.Import.Register"}}]}}]}}]'
    )


async def _load(url: str, ids: list[str], gateway_pid: int) -> tuple[ScaleResult, float]:
    latencies: list[float] = []
    sent_meter_values = 0
    failures = 0
    rss_before = _rss_kib(gateway_pid)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        gate = asyncio.Semaphore(64)

        async def connect(cp_id: str) -> Peer | None:
            async with gate:
                try:
                    socket = await http.ws_connect(
                        f"{url}/ocpp/{cp_id}",
                        protocols=("ocpp1.6",),
                        headers={"Authorization": aiohttp.encode_basic_auth(cp_id, PASSWORD)},
                        compress=0,
                        autoping=True,
                    )
                except aiohttp.ClientError:
                    return None
            return Peer(socket)

        started = time.perf_counter()
        peers = [p for p in await asyncio.gather(*(connect(cp) for cp in ids)) if p is not None]
        ramp = time.perf_counter() - started
        await asyncio.sleep(2)  # let allocations settle before reading the gateway's memory
        rss_after = _rss_kib(gateway_pid)
        interval = len(peers) / RATE
        deadline = time.perf_counter() + SECONDS
        started_load = time.perf_counter()

        async def drive(peer: Peer, seed: int) -> None:
            nonlocal sent_meter_values, failures
            rng = random.Random(seed)
            await asyncio.sleep(rng.uniform(0, interval))
            n = 0
            while time.perf_counter() < deadline and not peer.socket.closed:
                action = rng.choices([a for a, _ in MIX], weights=[w for _, w in MIX])[0]
                t0 = time.perf_counter()
                try:
                    await peer.socket.send_str(_frame(action, n))
                    reply = await asyncio.wait_for(peer.replies.get(), 30)
                except (aiohttp.ClientError, TimeoutError):
                    failures += 1
                    return
                if not reply.startswith("[3"):
                    raise RuntimeError(reply[:200])
                latencies.append((time.perf_counter() - t0) * 1000)
                sent_meter_values += action == "MeterValues"
                n += 1
                await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t0)))

        await asyncio.gather(*(drive(p, i) for i, p in enumerate(peers)))
        elapsed = time.perf_counter() - started_load
        held = sum(1 for p in peers if not p.socket.closed)
        for peer in peers:
            await peer.close()
    latencies.sort()
    result = ScaleResult(
        connections=len(ids),
        held=held,
        failures=failures,
        ramp_s=ramp,
        kib_per_connection=(rss_after - rss_before) / max(1, len(peers)),
        offered_rate=RATE,
        answered_rate=len(latencies) / elapsed,
        p50_ms=latencies[len(latencies) // 2],
        p99_ms=latencies[int(0.99 * len(latencies))],
        meter_values_sent=sent_meter_values,
        meter_values_stored=0,
        stored_p50_ms=float("nan"),
        stored_p99_ms=float("nan"),
    )
    return result, elapsed


async def _stored(database_url: str, result: ScaleResult) -> ScaleResult:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "sessions"})
    try:
        for _ in range(120):
            stored = await conn.fetchval("SELECT count(*) FROM meter_values WHERE charge_point_id LIKE 'SCALE-%'")
            if stored >= result.meter_values_sent:
                break
            await asyncio.sleep(0.5)
        row = await conn.fetchrow(
            "SELECT count(*) AS n,"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - sampled_at)) AS p50,"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - sampled_at)) AS p99"
            " FROM meter_values WHERE charge_point_id LIKE 'SCALE-%'"
        )
    finally:
        await conn.close()
    return replace(
        result,
        meter_values_stored=row["n"],
        stored_p50_ms=float(row["p50"]) * 1000,
        stored_p99_ms=float(row["p99"]) * 1000,
    )


def run(server_db_url: str, amqp_url: str) -> ScaleResult:
    with (
        temporary_database(server_db_url, prefix="ladeplan_scale") as db,
        temporary_vhost(amqp_url, "ladeplan-scale") as mq,
    ):
        migrate_all(db)
        ids = asyncio.run(_seed(db, CONNECTIONS))
        services = [replace(s, port=_free_port()) for s in SERVICES]
        env = {**os.environ, "DATABASE_URL": db, "AMQP_URL": mq, "OPERATOR_API_KEYS": API_KEY, "LOG_LEVEL": "WARNING"}
        processes = start_services(env, services)
        try:
            asyncio.run(wait_healthy(services, processes))
            gateway = next(s for s in services if s.name == "ocpp-gateway")
            result, _ = asyncio.run(_load(f"ws://127.0.0.1:{gateway.port}", ids, processes["ocpp-gateway"].pid))
            return asyncio.run(_stored(db, result))
        finally:
            stop(processes)


def table(result: ScaleResult) -> str:
    return "\n".join(
        [
            f"Gateway at scale: {result.connections} charge points (1.6), mix "
            + ", ".join(f"{a} {w:.0%}" for a, w in MIX)
            + f", offered {result.offered_rate:.0f} msg/s for {SECONDS:.0f} s",
            f"  connections held            {result.held} of {result.connections} (ramp {result.ramp_s:.1f} s, "
            f"{result.failures} dropped under load)",
            f"  gateway memory              {result.kib_per_connection:.1f} KiB per connection (RSS growth)",
            f"  answered                    {result.answered_rate:.0f} msg/s, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms",
            f"  MeterValues stored          {result.meter_values_stored} of {result.meter_values_sent}, frame to row "
            f"p50 {result.stored_p50_ms:.0f} ms, p99 {result.stored_p99_ms:.0f} ms",
        ]
    )

"""Many charge points on one gateway process: connections held, memory per connection, mixed load.

The whole stack runs as processes on a throw-away database and vhost. Charge points are seeded
straight into masterdata's tables with one argon2 hash (registering thousands through the API
would spend the run hashing); every connection still goes through the real handshake check.
Each connected charge point then sends Heartbeat, StatusNotification and MeterValues at its share
of the offered rate (``BENCH_MIX``, default ``Heartbeat:0.2,StatusNotification:0.2,MeterValues:0.6``).
Reported: connections held, ramp time, gateway RSS growth per connection,
answered messages/s with p50/p99 answer latency, for MeterValues the end-to-end latency from the
frame's timestamp to the moment its row is committed and visible (a reader polls every 10 ms,
so a value is late by at most that), MeterValues stored per second end to end (from the start
of the load to the last row), and how the CPU was shared between the processes during the load.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg

from benchmarks.gateway import API_KEY, PASSWORD, _free_port
from ladeplan.migrate import migrate_all
from ladeplan.sandbox import LOCAL_AMQP_URL, LOCAL_DATABASE_URL, temporary_database, temporary_vhost
from ladeplan.services import SERVICES
from ladeplan.supervisor import start_services, stop, wait_healthy
from masterdata.domain.passwords import CredentialHasher

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "2000"))
RATE = float(os.environ.get("BENCH_RATE", "1000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))


def _mix(text: str) -> tuple[tuple[str, float], ...]:
    """``BENCH_MIX``: ``Action:weight`` pairs, e.g. ``MeterValues:1`` for meter values only."""
    pairs = tuple((action.strip(), float(weight)) for action, _, weight in (p.partition(":") for p in text.split(",")))
    known = {"Heartbeat", "StatusNotification", "MeterValues"}
    if not pairs or any(action not in known or weight <= 0 for action, weight in pairs):
        raise SystemExit(f"BENCH_MIX: {text!r} is not a list of {sorted(known)} with positive weights")
    total = sum(weight for _, weight in pairs)
    return tuple((action, weight / total) for action, weight in pairs)


MIX = _mix(os.environ.get("BENCH_MIX", "Heartbeat:0.2,StatusNotification:0.2,MeterValues:0.6"))
POLL_S = 0.01  # how often the watcher looks for newly committed meter values
# A file to write a py-spy profile of the gateway process to, covering the load only (not the ramp):
# speedscope JSON for a path ending in .json, else a flame graph SVG.
PROFILE = os.environ.get("BENCH_PROFILE")


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
    stored_rate: float = float("nan")
    cpu: tuple[tuple[str, float], ...] = ()


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


class RowWatcher:
    """Notes when committed meter values become visible: (wall time, highest id) every POLL_S.

    It polls from a thread with an event loop of its own: on the load generator's loop, busy with
    every socket, the polls would come late and make the stack look slower than it is.
    """

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self.seen: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="row-watcher", daemon=True)

    async def _run(self) -> None:
        conn = await asyncpg.connect(self._url, server_settings={"search_path": "sessions"})
        try:
            while not self._stop.is_set():
                # Identity values are handed out in insertion order, and one consumer inserts in order.
                top = await conn.fetchval("SELECT coalesce(max(id), 0) FROM meter_values")
                self.seen.append((time.time(), int(top)))
                await asyncio.sleep(POLL_S)
        finally:
            await conn.close()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def lookup(self) -> Callable[[int], float | None]:
        """When the row with this id was first seen (None: not within the watch)."""
        seen = list(self.seen)
        tops = [top for _, top in seen]

        def visible_at(row_id: int) -> float | None:
            i = bisect.bisect_left(tops, row_id)
            return seen[i][0] if i < len(seen) else None

        return visible_at


def _cpu_ticks() -> dict[str, int]:
    """CPU ticks so far of each process of interest, by role (Linux /proc).

    Services count under their name only when this run started them: other stacks on the machine
    (tests running beside the benchmark) land in "other processes", as everything else does.
    RabbitMQ and PostgreSQL are shared with whatever else uses them.
    """
    ticks: dict[str, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = [a for a in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0") if a]
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if not argv:
            continue
        if int(pid) == os.getpid():
            role = "load generator"
        elif "-m" in argv[:-1] and int(fields[1]) == os.getpid():
            role = argv[argv.index("-m") + 1].replace("_", "-")
        elif "beam" in argv[0]:
            role = "rabbitmq"
        elif argv[0].startswith("postgres"):
            role = "postgresql"
        else:
            role = "other processes"
        ticks[role] = ticks.get(role, 0) + int(fields[11]) + int(fields[12])
    return ticks


async def _profile(pid: int) -> None:
    """With ``BENCH_PROFILE``: py-spy samples ``pid`` for the load's duration (``--nonblocking``: the
    gateway is not paused for each sample, which would slow down what is measured)."""
    if not PROFILE:
        return
    output_format = "speedscope" if PROFILE.endswith(".json") else "flamegraph"
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    process = await asyncio.create_subprocess_exec(
        *(py_spy, "record", "--pid", str(pid), "--duration", str(int(SECONDS)), "--rate", "250", "--nonblocking"),
        *("--format", output_format, "--output", PROFILE),
        stdout=asyncio.subprocess.DEVNULL,
    )
    await process.wait()


def _cpu_shares(before: dict[str, int], after: dict[str, int], seconds: float) -> tuple[tuple[str, float], ...]:
    """Share of one core each role used over ``seconds``, busiest first."""
    hertz = os.sysconf("SC_CLK_TCK")
    shares = {role: (after[role] - before.get(role, 0)) / hertz / seconds for role in after}
    return tuple(sorted(((r, v) for r, v in shares.items() if v >= 0.01), key=lambda item: -item[1]))


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
        load_wall_start = time.time()
        cpu_before = _cpu_ticks()

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

        await asyncio.gather(_profile(gateway_pid), *(drive(p, i) for i, p in enumerate(peers)))
        elapsed = time.perf_counter() - started_load
        cpu = _cpu_shares(cpu_before, _cpu_ticks(), elapsed)
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
        cpu=cpu,
    )
    return result, load_wall_start


async def _stored(database_url: str, result: ScaleResult, watcher: RowWatcher, load_start: float) -> ScaleResult:
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "sessions"})
    try:
        for _ in range(120):
            stored = await conn.fetchval("SELECT count(*) FROM meter_values WHERE charge_point_id LIKE 'SCALE-%'")
            if stored >= result.meter_values_sent:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2 * POLL_S)  # the watcher's last look covers the last row
        watcher.stop()
        rows = await conn.fetch(
            "SELECT id, extract(epoch FROM sampled_at)::float8 AS sampled FROM meter_values "
            "WHERE charge_point_id LIKE 'SCALE-%'"
        )
    finally:
        await conn.close()
    latencies, last_visible = [], load_start
    visible_at = watcher.lookup()
    for row in rows:
        visible = visible_at(row["id"])
        if visible is not None:
            latencies.append((visible - row["sampled"]) * 1000)
            last_visible = max(last_visible, visible)
    latencies.sort()
    return replace(
        result,
        meter_values_stored=len(rows),
        stored_p50_ms=latencies[len(latencies) // 2] if latencies else float("nan"),
        stored_p99_ms=latencies[int(0.99 * len(latencies))] if latencies else float("nan"),
        stored_rate=len(rows) / max(1e-9, last_visible - load_start),
    )


async def _measure(url: str, database_url: str, ids: list[str], gateway_pid: int) -> ScaleResult:
    watcher = RowWatcher(database_url)
    watcher.start()
    try:
        result, load_start = await _load(url, ids, gateway_pid)
        return await _stored(database_url, result, watcher, load_start)
    finally:
        watcher.stop()


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
            return asyncio.run(_measure(f"ws://127.0.0.1:{gateway.port}", db, ids, processes["ocpp-gateway"].pid))
        finally:
            stop(processes)


def table(result: ScaleResult) -> str:
    gateway_cpu = dict(result.cpu).get("ocpp-gateway", 0.0)  # share of one core
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
            f"  MeterValues stored          {result.meter_values_stored} of {result.meter_values_sent}, frame to "
            f"committed row p50 {result.stored_p50_ms:.0f} ms, p99 {result.stored_p99_ms:.0f} ms",
            f"  end to end                  {result.stored_rate:.0f} MeterValues/s stored (load start to last row)",
            "  CPU during the load         "
            + ", ".join(f"{role} {share:.0%}" for role, share in result.cpu)
            + f" (of {os.cpu_count()} cores)",
            f"  gateway CPU per answer      {gateway_cpu / result.answered_rate * 1e6:.0f} µs",
        ]
    )


def main() -> None:
    """``python -m benchmarks.gateway_scale``: this benchmark alone (``make bench`` runs them all)."""
    database, amqp = LOCAL_DATABASE_URL, LOCAL_AMQP_URL
    print(table(run(database, amqp)), flush=True)


if __name__ == "__main__":
    main()

"""A lean OCPP-J load generator: pre-built frames over raw websockets, one outstanding CALL each."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True)
class LoadResult:
    messages: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)


async def run_load(
    base_url: str,
    charge_points: list[tuple[str, str]],
    frame: Callable[[int], str],
    frames_per_charge_point: int,
    subprotocol: str = "ocpp1.6",
) -> LoadResult:
    """Each charge point sends ``frames_per_charge_point`` CALLs, waiting for each answer (as OCPP requires)."""
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http:
        sockets = [
            await http.ws_connect(
                f"{base_url}/ocpp/{cp_id}",
                protocols=(subprotocol,),
                headers={"Authorization": aiohttp.encode_basic_auth(cp_id, password)},
                compress=0,
            )
            for cp_id, password in charge_points
        ]

        async def drive(socket: aiohttp.ClientWebSocketResponse) -> None:
            for n in range(frames_per_charge_point):
                sent = time.perf_counter()
                await socket.send_str(frame(n))
                reply = await socket.receive_str()
                if not reply.startswith("[3"):
                    raise RuntimeError(f"unexpected reply: {reply[:200]}")
                latencies.append((time.perf_counter() - sent) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(drive(s) for s in sockets))
        elapsed = time.perf_counter() - started
        for socket in sockets:
            await socket.close()
    return LoadResult(len(latencies), elapsed, latencies)

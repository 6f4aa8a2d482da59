"""Fuzzing the gateway with malformed frames, floods and oversized messages (hypothesis).

Every bad frame must get exactly one CALLERROR with the code the charge point's OCPP version names,
and the socket must stay usable; a frame above ``GATEWAY_MAX_FRAME_BYTES`` closes the socket with
1009 (aiohttp's "message too big"), the close RFC 6455 prescribes. Throughout, a second charge
point keeps getting its Heartbeats answered, and memory retained by the gateway stays bounded.

"Exactly one": after each bad frame a Heartbeat probe follows on the same socket; the gateway
answers a socket's frames in order, so the replies up to the probe's answer are all the bad frame got.

Deterministic: hypothesis is derandomized (the examples follow from the test's source) and keeps no
example database; the example counts keep the module within about 30 s on two cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from .fuzz_frames import DEEP_UNPARSABLE, SUBPROTOCOLS, BadFrame, bad_frames, expected_code, ids, mutable_requests
from .harness import RunningGateway, StandInMasterdata, heartbeat, ocpp_socket, running_gateway, stand_in

pytestmark = pytest.mark.integration

MAX_FRAME = 64 * 1024
FUZZ = settings(
    max_examples=500,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_probe_ids = itertools.count()


class Sockets:
    """One connected charge point per OCPP version, reconnected when a test closes or spoils one."""

    def __init__(self, gateway: RunningGateway, masterdata: StandInMasterdata) -> None:
        self._gateway = gateway
        self._masterdata = masterdata
        self._open: dict[str, tuple[AsyncExitStack, aiohttp.ClientWebSocketResponse]] = {}

    async def get(self, subprotocol: str) -> aiohttp.ClientWebSocketResponse:
        if subprotocol in self._open and not self._open[subprotocol][1].closed:
            return self._open[subprotocol][1]
        await self.discard(subprotocol)
        exits = AsyncExitStack()
        cp_id = self._masterdata.register("FUZZ")
        socket = await exits.enter_async_context(ocpp_socket(self._gateway.url, cp_id, subprotocol))
        self._open[subprotocol] = (exits, socket)
        return socket

    async def discard(self, subprotocol: str) -> None:
        if subprotocol in self._open:
            await self._open.pop(subprotocol)[0].aclose()

    async def close(self) -> None:
        for subprotocol in list(self._open):
            await self.discard(subprotocol)


@pytest.fixture(scope="module")
async def gateway(database_url: str, module_amqp_url: str) -> AsyncIterator[tuple[RunningGateway, StandInMasterdata]]:
    masterdata = StandInMasterdata()
    async with (
        stand_in(module_amqp_url, masterdata),
        running_gateway(database_url, module_amqp_url, max_frame_bytes=MAX_FRAME) as running,
    ):
        yield running, masterdata


@pytest.fixture(scope="module")
async def sockets(gateway: tuple[RunningGateway, StandInMasterdata]) -> AsyncIterator[Sockets]:
    pool = Sockets(*gateway)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def healthy(gateway: tuple[RunningGateway, StandInMasterdata]) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A well-behaved charge point on its own socket, connected for the whole module."""
    running, masterdata = gateway
    async with ocpp_socket(running.url, masterdata.register("HEALTHY"), "ocpp2.0.1") as socket:
        yield socket


async def _healthy_heartbeat(socket: aiohttp.ClientWebSocketResponse) -> float:
    """Seconds the healthy charge point waited for its Heartbeat's answer."""
    probe = f"healthy~{next(_probe_ids)}"
    started = time.monotonic()
    reply = await heartbeat(socket, probe, timeout=5)
    assert reply[:2] == [3, probe], reply
    return time.monotonic() - started


async def _replies_until_probe(socket: aiohttp.ClientWebSocketResponse, frame: str | bytes) -> list[list[Any]]:
    """Send ``frame``, then a Heartbeat probe; every reply up to and including the probe's answer."""
    probe = f"probe~{next(_probe_ids)}"
    if isinstance(frame, bytes):
        await socket.send_bytes(frame)
    else:
        await socket.send_str(frame)
    await socket.send_str(f'[2,"{probe}","Heartbeat",{{}}]')
    replies: list[list[Any]] = []
    while not replies or replies[-1][1] != probe:
        replies.append(await socket.receive_json(timeout=5))
    return replies


def test_the_oracle_covers_every_version() -> None:
    # The deep frames are unparsable only while the parser's recursion limit stays below their depth.
    assert sys.getrecursionlimit() < DEEP_UNPARSABLE
    for version in SUBPROTOCOLS.values():
        assert len(mutable_requests(version)) >= 5, version  # schema-derived payloads exist for real actions


@FUZZ
@given(data=st.data(), subprotocol=st.sampled_from(sorted(SUBPROTOCOLS)))
async def test_every_bad_frame_gets_one_callerror(
    sockets: Sockets, healthy: aiohttp.ClientWebSocketResponse, data: st.DataObject, subprotocol: str
) -> None:
    version = SUBPROTOCOLS[subprotocol]
    bad: BadFrame = data.draw(bad_frames(version), label="frame")
    event(bad.kind)  # --hypothesis-show-statistics lists how often each kind of bad frame was tried
    socket = await sockets.get(subprotocol)
    try:
        replies, waited = await asyncio.gather(_replies_until_probe(socket, bad.frame), _healthy_heartbeat(healthy))
    except BaseException:
        await sockets.discard(subprotocol)  # a half-read socket must not spoil the next example
        raise
    assert len(replies) == 2, replies  # one answer to the bad frame, then the probe's
    error, probe = replies
    assert error[:3] == [4, bad.unique_id, expected_code(version, bad.code)], (bad, error)
    assert len(error) == 5
    assert isinstance(error[3], str)
    assert isinstance(error[4], dict)
    assert probe[0] == 3
    assert "currentTime" in probe[2]
    assert waited < 2.0


unsolicited_answers = st.one_of(
    st.builds(lambda i, payload: json.dumps([3, i, payload]), ids, st.dictionaries(st.text(max_size=5), st.integers())),
    st.builds(lambda i, code: json.dumps([4, i, code, "no", {}]), ids, st.text(max_size=20)),
)


@FUZZ
@given(frames=st.lists(unsolicited_answers, max_size=5), subprotocol=st.sampled_from(sorted(SUBPROTOCOLS)))
async def test_unsolicited_answers_are_ignored(sockets: Sockets, frames: list[str], subprotocol: str) -> None:
    # CALLRESULT/CALLERROR frames that answer nothing the gateway asked are dropped without a reply:
    # one cannot answer an answer, and holding them would let a charge point fill the gateway's memory.
    socket = await sockets.get(subprotocol)
    for frame in frames:
        await socket.send_str(frame)
    probe = f"probe~{next(_probe_ids)}"
    assert (await heartbeat(socket, probe))[:2] == [3, probe]


@pytest.mark.parametrize("binary", [False, True])
async def test_oversized_frame_closes_with_1009_and_others_carry_on(
    gateway: tuple[RunningGateway, StandInMasterdata], healthy: aiohttp.ClientWebSocketResponse, binary: bool
) -> None:
    running, masterdata = gateway
    async with ocpp_socket(running.url, masterdata.register("BIG"), "ocpp1.6") as socket:
        padding = "x" * MAX_FRAME
        frame = f'[2,"big","Authorize",{{"idTag":"{padding}"}}]'
        await (socket.send_bytes(frame.encode()) if binary else socket.send_str(frame))
        closing = await socket.receive(timeout=5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert socket.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG  # 1009
    assert await _healthy_heartbeat(healthy) < 2.0
    # The charge point reconnects and is served as before.
    async with ocpp_socket(running.url, masterdata.register("BIG"), "ocpp1.6") as socket:
        assert (await heartbeat(socket, "after-big"))[:2] == [3, "after-big"]


async def _flood(socket: aiohttp.ClientWebSocketResponse, frames: list[str], expect_replies: int) -> list[list[Any]]:
    """Send ``frames`` as fast as the socket takes them while reading replies in parallel."""
    replies: list[list[Any]] = []

    async def read() -> None:
        while len(replies) < expect_replies:
            replies.append(await socket.receive_json(timeout=10))

    reader = asyncio.create_task(read())
    for frame in frames:
        await socket.send_str(frame)
    await reader
    return replies


async def _watch(socket: aiohttp.ClientWebSocketResponse, stop: asyncio.Event) -> list[float]:
    waits = []
    while not stop.is_set():
        waits.append(await _healthy_heartbeat(socket))
        await asyncio.sleep(0.02)
    return waits


@contextlib.contextmanager
def traced_memory() -> Iterator[Callable[[], tuple[float, float]]]:
    """``measure()`` gives the MiB allocated since entering and still held, and the peak above the start.

    Gateway and test share the process, so a test drops its own big objects before measuring.
    """
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]

    def measure() -> tuple[float, float]:
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        return (current - before) / 2**20, (peak - before) / 2**20

    try:
        yield measure
    finally:
        tracemalloc.stop()


async def test_flood_of_mixed_frames_is_answered_one_by_one(
    sockets: Sockets, healthy: aiohttp.ClientWebSocketResponse, spans: InMemorySpanExporter
) -> None:
    kinds = [
        ('[2,"f{i}","Heartbeat",{{}}]', 3, None),
        ('[2,"f{i}","NoSuchAction",{{}}]', 4, "NotSupported"),
        ('[2,"f{i}","Heartbeat",{{"x":1}}]', 4, "FormatViolation"),
        ('[2,"f{i}","Authorize",{{"idToken":{{"idToken":1,"type":"ISO14443"}}}}]', 4, "TypeConstraintViolation"),
    ]
    socket = await sockets.get("ocpp2.0.1")
    spans.clear()
    with traced_memory() as measure:
        frames = [kinds[i % len(kinds)][0].format(i=i) for i in range(2_000)]
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch(healthy, stop))
        replies = await _flood(socket, frames, expect_replies=len(frames))
        stop.set()
        waits = await watcher
        by_id = {reply[1]: reply for reply in replies}
        assert len(by_id) == len(frames)  # each frame answered exactly once
        for i in range(len(frames)):
            _, message_type, code = kinds[i % len(kinds)]
            reply = by_id[f"f{i}"]
            assert reply[0] == message_type
            assert code is None or reply[2] == code
        assert waits, "the healthy charge point got no turn during the flood"
        assert max(waits) < 2.0
        del frames, replies, by_id, reply
        spans.clear()  # the test run's span exporter keeps every span; production exports and forgets them
        retained, peak = measure()
    assert retained < 2, f"{retained:.1f} MiB retained"
    assert peak < 16, f"{peak:.1f} MiB at the peak"


async def test_flood_of_unsolicited_answers_keeps_memory_bounded(
    sockets: Sockets, healthy: aiohttp.ClientWebSocketResponse
) -> None:
    # 2,000 CALLRESULTs of 32 KiB (64 MiB) that answer nothing: kept, they would pile up in the session.
    socket = await sockets.get("ocpp1.6")
    padding = "p" * 32 * 1024
    with traced_memory() as measure:
        for i in range(2_000):
            await socket.send_str(f'[3,"u{i}",{{"pad":"{padding}"}}]')
        probe = f"probe~{next(_probe_ids)}"
        assert (await heartbeat(socket, probe, timeout=30))[:2] == [3, probe]  # all frames were read
        assert await _healthy_heartbeat(healthy) < 2.0
        retained, peak = measure()
    assert retained < 2, f"{retained:.1f} MiB retained"
    assert peak < 16, f"{peak:.1f} MiB at the peak"

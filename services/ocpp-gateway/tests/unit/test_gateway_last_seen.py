"""Last-seen batching: only stamps that moved, in chunks, retried after a failure, forgotten on close."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import pytest

from ladeplan_contracts.chargepoint import ChargePointsSeen
from ladeplan_platform.bus import EventPublisher
from ocpp_gateway.last_seen import BATCH, LastSeen
from ocpp_gateway.registry import LiveConnection, Registry
from ocpp_gateway.repository import PresenceRepository

pytestmark = pytest.mark.unit


@dataclass
class FakeSession:
    last_frame_at: float


@dataclass
class FakePresence:
    written: list[list[tuple[str, int, datetime]]] = field(default_factory=list)

    async def touch(self, seen: list[tuple[str, int, datetime]]) -> None:
        self.written.append(seen)


@dataclass
class FakePublisher:
    sent: list[ChargePointsSeen] = field(default_factory=list)
    fail: bool = False

    async def publish_event(self, body: Any, *, charge_point_id: str | None = None) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.sent.append(body)


def connect(registry: Registry, cp_id: str, stamp: float, epoch: int = 1) -> FakeSession:
    session = FakeSession(stamp)
    registry.take_over(LiveConnection(cp_id, cast(Any, session), cast(Any, None), epoch, "2.0.1"))
    return session


def last_seen(registry: Registry, presence: FakePresence, publisher: FakePublisher) -> LastSeen:
    return LastSeen(
        registry,
        cast(PresenceRepository, presence),
        cast(EventPublisher, publisher),
        node_id="node-1",
        interval_s=30,
    )


async def test_only_stamps_that_moved_are_written_and_published() -> None:
    registry, presence, publisher = Registry(), FakePresence(), FakePublisher()
    a = connect(registry, "A", 1000.0)
    connect(registry, "B", 1000.0)
    flusher = last_seen(registry, presence, publisher)

    assert await flusher.flush() == 2
    a.last_frame_at = 1010.0
    assert await flusher.flush() == 1
    assert await flusher.flush() == 0
    assert [[cp for cp, _, _ in rows] for rows in presence.written] == [["A", "B"], ["A"]]
    assert presence.written[1][0][2].timestamp() == 1010.0
    assert [[s.charge_point_id for s in event.charge_points] for event in publisher.sent] == [["A", "B"], ["A"]]
    assert {event.node_id for event in publisher.sent} == {"node-1"}


async def test_a_failed_flush_is_repeated_next_time() -> None:
    registry, presence, publisher = Registry(), FakePresence(), FakePublisher(fail=True)
    connect(registry, "A", 1000.0)
    flusher = last_seen(registry, presence, publisher)
    with pytest.raises(ConnectionError):
        await flusher.flush()
    publisher.fail = False
    assert await flusher.flush() == 1
    assert [s.charge_point_id for s in publisher.sent[0].charge_points] == ["A"]


async def test_a_reconnect_is_a_new_connection_and_closed_ones_are_forgotten() -> None:
    registry, presence, publisher = Registry(), FakePresence(), FakePublisher()
    connect(registry, "A", 1000.0, epoch=1)
    flusher = last_seen(registry, presence, publisher)
    await flusher.flush()
    connect(registry, "A", 1000.0, epoch=2)  # same stamp, newer connection: written for epoch 2
    assert await flusher.flush() == 1
    assert presence.written[-1][0][:2] == ("A", 2)
    live = registry.get("A")
    assert live is not None
    registry.release(live)
    assert await flusher.flush() == 0


async def test_large_nodes_publish_in_bounded_chunks() -> None:
    registry, presence, publisher = Registry(), FakePresence(), FakePublisher()
    for number in range(BATCH * 2 + 5):
        connect(registry, f"CP-{number}", 1000.0)
    assert await last_seen(registry, presence, publisher).flush() == BATCH * 2 + 5
    assert len(presence.written) == 1  # one UPDATE for all
    assert [len(event.charge_points) for event in publisher.sent] == [BATCH, BATCH, 5]

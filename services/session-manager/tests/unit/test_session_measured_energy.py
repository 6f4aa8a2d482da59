"""The energy a running session drew so far, from one burst's register readings (session.energy.measured)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from session_manager.domain.energy import Measurement, Reading, measured_so_far
from session_manager.domain.session import Session
from session_manager.use_cases.energy_events import EnergyEvents, SessionMeasurement, newest_per_session

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def at(minutes, value, **extra):
    return T0 + timedelta(minutes=minutes), Reading(value=value, unit="kWh", **extra)


def test_the_newest_register_reading_minus_meter_start():
    readings = [at(5, "1.2"), at(10, "3.4"), at(7, "2.0")]

    assert measured_so_far(1000, readings) == Measurement(2400, T0 + timedelta(minutes=10))


def test_readings_that_are_not_the_outlet_total_register_say_nothing():
    readings = [
        at(10, "9.0", phase="L1"),
        at(11, "9.0", location="EV"),
        at(12, "9.0", context="Sample.Clock"),
        (T0, Reading(value="22", measurand="Power.Active.Import", unit="kW")),
    ]

    assert measured_so_far(1000, readings) is None


def test_no_figure_without_a_meter_start_or_below_it():
    assert measured_so_far(None, [at(10, "3.4")]) is None
    assert measured_so_far(5000, [at(10, "3.4")]) is None  # meter exchanged: the end sorts it out


def session(session_id):
    return Session(
        id=session_id, charge_point_id="CP-1", evse_id=1, connector_id=1, transaction_id=1, transaction_ref="1",
        token_uid=None, user_id=None, authorization_status="Accepted", status="active", started_at=T0,
        meter_start_wh=0, ended_at=None, meter_stop_wh=None, stop_reason=None, energy_wh=None, unknown_start=False,
    )  # fmt: skip


def test_a_burst_announces_each_session_once_with_its_newest_measurement():
    a, b = session(uuid.uuid4()), session(uuid.uuid4())
    measured = [
        SessionMeasurement(a, Measurement(1000, T0)),
        SessionMeasurement(b, Measurement(500, T0)),
        SessionMeasurement(a, Measurement(1500, T0 + timedelta(minutes=1))),
        SessionMeasurement(a, Measurement(1200, T0 + timedelta(seconds=30))),
    ]

    newest = newest_per_session(measured)

    assert {sid: item.measurement for sid, item in newest.items()} == {
        a.id: Measurement(1500, T0 + timedelta(minutes=1)),
        b.id: Measurement(500, T0),
    }


class Outbox:
    """Stands in for the connection: records the rows add_to_outbox stages."""

    def __init__(self):
        self.rows = []

    async def execute(self, _sql, _message_id, routing_key, body, _headers):
        self.rows.append((routing_key, body))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


async def test_a_session_is_announced_again_only_once_its_interval_passed_after_a_commit():
    clock, conn = Clock(), Outbox()
    events = EnergyEvents(60, clock=clock)
    a = session(uuid.uuid4())
    measured = [SessionMeasurement(a, Measurement(1000, T0))]

    assert await events.stage(conn, measured) == [a.id]  # rolled back: not committed, so due again
    staged = await events.stage(conn, measured)
    events.committed(staged)
    clock.now = 59
    assert await events.stage(conn, measured) == []
    clock.now = 60
    assert await events.stage(conn, measured) == [a.id]
    assert [key for key, _ in conn.rows] == ["session.energy.measured"] * 3


async def test_an_ended_session_and_entries_past_their_interval_are_forgotten():
    clock, conn = Clock(), Outbox()
    events = EnergyEvents(60, clock=clock)
    ended = session(uuid.uuid4())
    events.committed([ended.id])
    events.forget(ended.id)
    assert await events.stage(conn, [SessionMeasurement(ended, Measurement(1, T0))]) == [ended.id]

    old = [uuid.uuid4() for _ in range(10_000)]
    events.committed(old)
    clock.now = 61
    fresh = [uuid.uuid4() for _ in range(10_001)]
    events.committed(fresh)  # over twice what was kept: what is past its interval goes

    assert set(events._last) == set(fresh)

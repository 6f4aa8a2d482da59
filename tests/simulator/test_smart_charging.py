"""Simulated charge points follow the profiles they hold: composite limits, replacement, expiry, the meter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ladeplan.simulator.smart_charging import Charging, Ev, ProfileBook

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def v16(profile_id, purpose, periods, *, unit="A", start=T0, duration=None, stack=0, tx=None):
    schedule = {
        "charging_rate_unit": unit,
        "charging_schedule_period": [{"start_period": s, "limit": v, "number_phases": 3} for s, v in periods],
        "start_schedule": start.isoformat(),
    }
    if duration is not None:
        schedule["duration"] = duration
    profile = {
        "charging_profile_id": profile_id,
        "stack_level": stack,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Absolute",
        "charging_schedule": schedule,
    }
    if tx is not None:
        profile["transaction_id"] = tx
    return profile


def v2(profile_id, purpose, periods, *, start=T0, duration=None, tx=None):
    schedule = {
        "id": profile_id,
        "charging_rate_unit": "W",
        "charging_schedule_period": [{"start_period": s, "limit": v} for s, v in periods],
        "start_schedule": start.isoformat().replace("+00:00", "Z"),
    }
    if duration is not None:
        schedule["duration"] = duration
    profile = {
        "id": profile_id,
        "stack_level": 0,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Absolute",
        "charging_schedule": [schedule],
    }
    if tx is not None:
        profile["transaction_id"] = tx
    return profile


def test_the_composite_is_the_smaller_of_the_max_profile_and_the_tx_profile():
    book = ProfileBook()
    book.add(0, v16(1, "ChargePointMaxProfile", [(0, 16.0), (60, 8.0)]), T0)
    book.add(1, v16(7, "TxProfile", [(0, 10.0)], unit="A", duration=120, tx=42), T0)

    assert book.limit_w(T0 + timedelta(seconds=1)) == pytest.approx(16 * 690)
    assert book.limit_w(T0 + timedelta(seconds=1), 1, "42") == pytest.approx(10 * 690)
    assert book.limit_w(T0 + timedelta(seconds=61), 1, "42") == pytest.approx(8 * 690)
    # After its duration the TxProfile no longer applies: only the max profile limits.
    assert book.limit_w(T0 + timedelta(seconds=121), 1, "42") == pytest.approx(8 * 690)
    # A TxProfile of another transaction says nothing about this one.
    assert book.limit_w(T0 + timedelta(seconds=1), 1, "43") == pytest.approx(16 * 690)
    assert ProfileBook().limit_w(T0, 1, "42") == float("inf")


def test_a_profile_with_the_same_id_replaces_the_earlier_one_from_its_arrival_on():
    book = ProfileBook()
    book.add(0, v2(1, "ChargingStationMaxProfile", [(0, 11000.0)]), T0)
    book.add(
        0,
        v2(1, "ChargingStationMaxProfile", [(0, 4000.0)], start=T0 + timedelta(seconds=10)),
        T0 + timedelta(seconds=5),
    )

    assert book.limit_w(T0 + timedelta(seconds=4)) == 11000.0
    # Arrived, but its schedule starts later: nothing limits in between (as OCPP says).
    assert book.limit_w(T0 + timedelta(seconds=6)) == float("inf")
    assert book.limit_w(T0 + timedelta(seconds=11)) == 4000.0
    assert [item.profile_id for item in book.held(T0 + timedelta(seconds=11))] == [1]


def test_the_highest_stack_level_in_force_wins():
    book = ProfileBook()
    book.add(0, v16(1, "ChargePointMaxProfile", [(0, 6.0)], stack=0), T0)
    book.add(0, v16(2, "ChargePointMaxProfile", [(0, 20.0)], stack=1, duration=30), T0)

    assert book.limit_w(T0 + timedelta(seconds=10)) == pytest.approx(20 * 690)
    assert book.limit_w(T0 + timedelta(seconds=40)) == pytest.approx(6 * 690)


def test_a_car_draws_within_the_limit_the_moment_it_changes_and_stops_when_full():
    book = ProfileBook()
    book.add(0, v2(1, "ChargingStationMaxProfile", [(0, 11000.0), (10, 3600.0)]), T0)
    charging = Charging(book, 1, "tx", Ev(max_power_w=7200.0, energy_wh=40.0), meter_wh=1000.0, started_at=T0)

    assert charging.step(T0) == 7200.0
    charging.step(T0 + timedelta(seconds=20))  # 10 s at 7.2 kW, then 10 s at 3.6 kW

    assert charging.delivered_wh == pytest.approx(30.0, abs=0.1)
    assert charging.power_w == 3600.0
    charging.step(T0 + timedelta(seconds=40))
    assert (charging.delivered_wh, charging.meter_wh, charging.power_w) == (
        pytest.approx(40.0),
        pytest.approx(1040.0),
        0.0,
    )


def test_the_composite_schedule_reports_what_the_held_profiles_give_from_now_on():
    book = ProfileBook()
    book.add(0, v16(1, "ChargePointMaxProfile", [(0, 16.0), (60, 8.0)]), T0)
    book.add(1, v16(7, "TxProfile", [(0, 10.0), (30, 12.0)], duration=120, tx=42), T0)
    now = T0 + timedelta(seconds=10)

    # EVSE 0: the max profile alone, from now on (offsets relative to the request).
    assert book.composite(now, 200, 0) == [
        {"start_period": 0, "limit": 16.0, "number_phases": 3},
        {"start_period": 50, "limit": 8.0, "number_phases": 3},
    ]
    # An EVSE: the smaller of both; after the TxProfile's duration the max profile alone.
    assert book.composite(now, 200, 1) == [
        {"start_period": 0, "limit": 10.0, "number_phases": 3},
        {"start_period": 20, "limit": 12.0, "number_phases": 3},
        {"start_period": 50, "limit": 8.0, "number_phases": 3},
    ]
    # In W, and the charge point's own maximum where nothing limits.
    assert book.composite(now, 15, 1, unit="W") == [{"start_period": 0, "limit": pytest.approx(6900.0)}]
    assert ProfileBook().composite(now, 30, 0) == [{"start_period": 0, "limit": 32.0, "number_phases": 3}]

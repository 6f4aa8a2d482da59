"""Delivered energy from the meter where session-manager measured it, the previous plan only on top."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ems_adapter.domain.site import ActiveSession, Measured, demand_of
from ems_adapter.use_cases.planning import delivered_so_far

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def previous_plan(power_kw=11.0, remaining_kwh=20.0):
    """The last plan: ``s1`` given ``power_kw`` for two hours from NOW, 15-minute slots."""
    return {
        "start": NOW.isoformat(),
        "slot_seconds": 900,
        "sessions": [{"session_id": "s1", "power_kw": [power_kw] * 8, "remaining_kwh": remaining_kwh}],
    }


def car(delivered):
    return ActiveSession("s1", "CP1", 1, "tx-s1", NOW, delivered, 22.0)


def test_a_car_that_drew_half_its_plan_is_planned_its_shortfall_next():
    # The plan gave 11 kW for an hour; the meter says the car drew 5.5 kWh of it (tapering).
    estimated = delivered_so_far(previous_plan(), "s1", 0.0, NOW, None, NOW + HOUR)
    measured = delivered_so_far(previous_plan(), "s1", 0.0, NOW, Measured(5.5, NOW + HOUR), NOW + HOUR)

    assert estimated == pytest.approx(11.0)
    assert measured == pytest.approx(5.5)
    assert demand_of(car(estimated), NOW + HOUR).remaining_kwh == pytest.approx(9.0)
    assert demand_of(car(measured), NOW + HOUR).remaining_kwh == pytest.approx(14.5)  # the 5.5 kWh short, too


def test_the_plan_counts_only_from_the_measurement_on():
    kwh = delivered_so_far(previous_plan(), "s1", 0.0, NOW, Measured(2.0, NOW + HOUR / 2), NOW + HOUR)

    assert kwh == pytest.approx(2.0 + 11.0 / 2)


def test_a_measurement_older_than_the_last_estimate_still_replaces_it():
    # A replan at NOW + 1 h estimated 11 kWh; the meter's figure for NOW + 45 min arrives after it.
    late = Measured(4.0, NOW + 45 * timedelta(minutes=1))

    kwh = delivered_so_far(previous_plan(), "s1", 11.0, NOW + HOUR, late, NOW + HOUR)

    assert kwh == pytest.approx(4.0 + 11.0 / 4)


def test_the_estimate_on_top_stays_capped_by_what_the_plan_still_had_to_give():
    kwh = delivered_so_far(previous_plan(remaining_kwh=3.0), "s1", 0.0, NOW, Measured(10.0, NOW), NOW + HOUR)

    assert kwh == pytest.approx(13.0)
    assert demand_of(car(kwh), NOW + HOUR).remaining_kwh == pytest.approx(7.0)


def test_without_a_new_measurement_the_estimate_goes_on_from_the_last_one():
    kwh = delivered_so_far(previous_plan(), "s1", 6.0, NOW + HOUR, None, NOW + 2 * HOUR)

    assert kwh == pytest.approx(6.0 + 11.0)

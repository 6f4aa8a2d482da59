"""OSCP forecast blocks become kW limits per slot; the plan keeps them; external plans are checked by the same rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from ems_adapter.domain.capacity import (
    ForecastBlock,
    Limit,
    block_kw,
    effective_limits,
    kw_to_current_a,
    merge_blocks,
    slot_limits,
)
from ems_adapter.domain.external_plan import ExternalPlan, PlanRejected, external_location_plan
from ems_adapter.domain.oscp import GroupCapacityForecast, Register, energy_measurement
from ems_adapter.domain.site import ActiveSession, Tariff, plan_location

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SLOT = timedelta(minutes=15)
TARIFF = Tariff.parse("0:0.2")


def block(capacity, unit="KW", phase="ALL", start=NOW, hours=1.0):
    return ForecastBlock(capacity, unit, phase, start, start + timedelta(hours=hours))


@pytest.mark.parametrize(
    ("capacity", "unit", "phase", "kw"),
    [
        (32.0, "A", "ALL", 32 * 230 * 3 / 1000),  # per phase, on each of three
        (32.0, "A", "ONE", 32 * 230 * 3 / 1000),  # a balanced load draws a third per phase
        (22.0, "KW", "ALL", 22.0),
        (22_000.0, "W", "UNKNOWN", 22.0),
        (7.0, "KW", "TWO", 21.0),  # one phase's share of a balanced three-phase load
        (11.0, "KWH", "ALL", 11.0),  # over one hour
        (5_500.0, "WH", "ALL", 11.0 / 2 / 0.5),  # 5.5 kWh in half an hour: 11 kW on average
    ],
)
def test_block_units_convert_to_the_three_phase_total_in_kw(capacity, unit, phase, kw):
    hours = 0.5 if unit == "WH" else 1.0
    assert block_kw(block(capacity, unit, phase, hours=hours)) == pytest.approx(kw)


def test_current_and_power_convert_both_ways():
    kw = block_kw(block(16.0, "A"))
    assert kw == pytest.approx(11.04)
    assert kw_to_current_a(kw) == pytest.approx(16.0)
    assert block_kw(block(16.0, "A"), voltage=240.0) == pytest.approx(16 * 240 * 3 / 1000)


def test_each_slot_takes_the_lowest_limit_touching_it_and_never_more_than_the_grid():
    limits = [
        Limit(NOW + timedelta(minutes=20), NOW + timedelta(minutes=45), 10.0),  # touches slots 1 and 2
        Limit(NOW + timedelta(minutes=60), NOW + timedelta(minutes=75), 80.0),  # above the grid limit
        Limit(NOW - timedelta(hours=1), NOW, 1.0),  # over before the first slot
    ]
    capacity = slot_limits(NOW, SLOT, 6, 50.0, limits)

    assert capacity.tolist() == [50.0, 10.0, 10.0, 50.0, 50.0, 50.0]


def test_a_newer_forecast_replaces_only_the_period_it_covers():
    day_ahead = [block(40.0, start=NOW + timedelta(hours=h)) for h in range(4)]
    intraday = [block(10.0, start=NOW + timedelta(hours=1), hours=1.5)]

    merged = merge_blocks(day_ahead, intraday)

    assert [(b.start - NOW, b.capacity) for b in merged] == [
        (timedelta(0), 40.0),
        (timedelta(hours=1), 10.0),
        (timedelta(hours=3), 40.0),
    ]


def test_the_forecast_applies_while_the_provider_is_online_the_fallback_once_it_is_not():
    consumption = [block(20.0, hours=4)]
    fallback = [block(8.0, start=NOW - timedelta(hours=1), hours=48)]

    online = effective_limits(NOW, consumption, fallback, provider_offline=False, fallback_kw=5.0)
    offline = effective_limits(NOW, consumption, fallback, provider_offline=True, fallback_kw=5.0)
    configured = effective_limits(NOW, consumption, [], provider_offline=True, fallback_kw=5.0)

    assert [limit.kw for limit in online] == [20.0]
    assert [limit.kw for limit in offline] == [8.0]
    assert [limit.kw for limit in configured] == [5.0]
    assert slot_limits(NOW, SLOT, 3, 50.0, configured).tolist() == [5.0, 5.0, 5.0]
    assert effective_limits(NOW, consumption, [], provider_offline=True, fallback_kw=None) == []


def session(sid, cp="CP1", connector=22.0):
    return ActiveSession(sid, cp, 1, f"tx-{sid}", NOW - timedelta(hours=1), 0.0, connector, None)


def test_the_optimiser_plans_within_the_forecast_per_slot():
    limits = [Limit(NOW, NOW + timedelta(hours=1), 8.0)]
    located = plan_location(30.0, 2, [session("a"), session("b", "CP2")], NOW, TARIFF, "UTC", limits=limits)

    site = located.plan.power_kw.sum(axis=0)
    assert located.capacity_kw[:4].tolist() == [8.0] * 4
    assert located.capacity_kw[4] == 30.0
    assert np.all(site <= located.capacity_kw + 1e-6)
    assert site[0] == pytest.approx(8.0, abs=0.01)


def test_an_external_plan_within_the_rules_becomes_the_location_plan():
    plan = ExternalPlan(NOW - timedelta(minutes=20), 900, {"a": [0.0, 11.0, 11.0, 4.2], "b": [11.0, 0.0, 5.0, 0.0]})

    located = external_location_plan(
        plan, [session("a"), session("b", "CP2")], NOW, grid_limit_kw=22.0, charge_points=2, tariff=TARIFF,
        timezone="UTC",
    )  # fmt: skip

    # Re-sliced to the slot holding "now": the slot that ended is dropped.
    assert located.start == NOW - timedelta(minutes=5)
    assert located.plan.power_kw.tolist() == [[11.0, 11.0, 4.2], [0.0, 5.0, 0.0]]
    assert located.capacity_kw.tolist() == [22.0, 22.0, 22.0]


def test_an_external_plan_breaking_the_rules_is_refused_with_every_reason():
    plan = ExternalPlan(NOW, 900, {"a": [12.0, 2.0], "b": [12.0, 0.0], "ghost": [1.0, 0.0]})

    with pytest.raises(PlanRejected) as refused:
        external_location_plan(
            plan, [session("a", connector=11.0), session("b", "CP2")], NOW, grid_limit_kw=22.0, charge_points=2,
            tariff=TARIFF, timezone="UTC",
        )  # fmt: skip
    assert refused.value.faults == ["ghost: no active session at this location"]

    plan = ExternalPlan(NOW, 900, {"a": [12.0, 2.0], "b": [12.0, 0.0]})
    with pytest.raises(PlanRejected) as refused:
        external_location_plan(
            plan, [session("a", connector=11.0), session("b", "CP2")], NOW, grid_limit_kw=22.0, charge_points=2,
            tariff=TARIFF, timezone="UTC",
        )  # fmt: skip
    assert refused.value.faults == [
        "slot 0: 24.000 kW above the limit 22.000 kW",
        "a: above its maximum of 11.000 kW",
        "a: a setpoint between 0 and its minimum of 4.140 kW",
    ]


def test_an_external_plan_must_use_the_slot_grid_and_cover_now():
    sessions = [session("a")]
    for plan, fault in [
        (ExternalPlan(NOW, 300, {"a": [1.0]}), "slot_seconds must be 900"),
        (ExternalPlan(NOW + timedelta(hours=1), 900, {"a": [5.0]}), "the plan must start within the next slot"),
        (ExternalPlan(NOW - timedelta(hours=1), 900, {"a": [5.0]}), "the plan is over already"),
        (ExternalPlan(NOW, 900, {"a": [float("nan")]}), "a: power must be finite and not negative"),
    ]:
        with pytest.raises(PlanRejected) as refused:
            external_location_plan(plan, sessions, NOW, grid_limit_kw=22.0, charge_points=1, tariff=TARIFF,
                                   timezone="UTC")  # fmt: skip
        assert fault in refused.value.faults


def test_a_plan_starting_within_the_next_slot_is_padded_with_nothing():
    plan = ExternalPlan(NOW + timedelta(minutes=5), 900, {"a": [11.0]})
    located = external_location_plan(plan, [session("a")], NOW, grid_limit_kw=22.0, charge_points=1, tariff=TARIFF,
                                     timezone="UTC")  # fmt: skip
    assert located.start == NOW - timedelta(minutes=10)
    assert located.plan.power_kw.tolist() == [[0.0, 11.0]]


def test_oscp_messages_keep_the_wire_format_and_refuse_what_the_spec_does_not_allow():
    forecast = GroupCapacityForecast.model_validate(
        {
            "group_id": "g1",
            "type": "CONSUMPTION",
            "forecasted_blocks": [{"capacity": 32, "phase": "ALL", "unit": "A", "start_time": "2026-01-05T08:00:00Z",
                                   "end_time": "2026-01-05T09:00:00Z"}],
        }
    )  # fmt: skip
    assert forecast.forecasted_blocks[0].block() == block(32.0, "A")
    for wrong in [{"unit": "MW"}, {"phase": "L1"}, {"end_time": "2026-01-05T07:00:00Z"}, {"start_time": "08:00"}]:
        body = forecast.model_dump(mode="json")
        body["forecasted_blocks"][0].update(wrong)
        with pytest.raises(ValidationError):
            GroupCapacityForecast.model_validate(body)
    with pytest.raises(ValidationError):
        GroupCapacityForecast.model_validate({**forecast.model_dump(mode="json"), "type": "FALLBACK"})

    register = Register.model_validate({"token": "t", "version_url": [{"version": "2.0", "base_url": "http://x/2.0/"}]})
    assert register.base_url() == "http://x/2.0"
    old = Register.model_validate({"token": "t", "version_url": [{"version": "1.0", "base_url": "u"}]})
    assert old.base_url() is None


def test_measurements_are_cumulative_unless_the_provider_wants_intermittent_periods():
    start = NOW - timedelta(minutes=15)
    continuous = energy_measurement(120.5, 3.25, start, NOW, ["CONTINUOUS"]).model_dump(mode="json", exclude_none=True)
    intermittent = energy_measurement(120.5, 3.25, start, NOW, ["INTERMITTENT"]).model_dump(mode="json")

    assert continuous == {"value": 120.5, "phase": "ALL", "unit": "KWH", "direction": "IMPORT",
                          "energy_type": "FLEXIBLE", "measure_time": "2026-01-05T08:00:00Z"}  # fmt: skip
    assert (intermittent["value"], intermittent["initial_measure_time"]) == (3.25, "2026-01-05T07:45:00Z")

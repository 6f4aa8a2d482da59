"""A location's problem from the read model: defaults, caps, tariff, delivered energy, which profiles go out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ems_adapter.domain.dispatch import profiles_to_send
from ems_adapter.domain.site import ActiveSession, Needs, Tariff, delivered_kwh, demand_of, plan_location

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TARIFF = Tariff.parse("0:0.18,6:0.28,17:0.40,20:0.28,22:0.18")


def session(sid="s1", cp="CP1", evse=1, needs=None, started=NOW, delivered=0.0, connector=22.0):
    return ActiveSession(sid, cp, evse, f"tx-{sid}", started, delivered, connector, needs)


def test_without_ev_needs_the_documented_defaults_apply():
    demand = demand_of(session(delivered=5.0, connector=11.0), NOW)

    assert (demand.remaining_kwh, demand.departure_at, demand.source) == (15.0, NOW + timedelta(hours=8), "default")
    assert (demand.max_power_kw, demand.min_power_kw) == (11.0, pytest.approx(4.14))


def test_ev_needs_replace_the_defaults_and_an_overstay_is_planned_an_hour_ahead():
    needs = Needs(requested_energy_kwh=30.0, departure_at=NOW - timedelta(hours=1), max_power_kw=7.4, phases=1)

    demand = demand_of(session(needs=needs), NOW)

    assert (demand.remaining_kwh, demand.max_power_kw, demand.source) == (30.0, 7.4, "ev")
    assert demand.min_power_kw == pytest.approx(1.38)
    assert demand.departure_at == NOW + timedelta(hours=1)


def test_a_departure_still_ahead_is_kept_however_close():
    # Stretching it to the overstay horizon (4 slots) would plan power after the car has left.
    needs = Needs(requested_energy_kwh=0.06, departure_at=NOW + timedelta(seconds=10), max_power_kw=11.04)

    demand = demand_of(session(needs=needs), NOW, slot=timedelta(seconds=5))

    assert demand.departure_at == NOW + timedelta(seconds=10)


def test_nothing_is_planned_after_a_car_leaves_even_when_it_leaves_soon():
    # The smart charging e2e's car 2, replanned 15 s before it leaves on 5 s slots: the plan spreads
    # a car's energy over its window, so with the window stretched to the overstay horizon the car
    # got its last 15 Wh planned after its departure and left without them. Here it wants more than
    # 10 s at 11.04 kW can give (30.7 Wh): all of that comes before it leaves, nothing after.
    needs = Needs(requested_energy_kwh=0.06, departure_at=NOW + timedelta(seconds=10), max_power_kw=11.04)

    located = plan_location(24.0, 4, [session(needs=needs)], NOW, TARIFF, "Europe/Berlin", slot_seconds=5)

    row = located.plan.power_kw[0]
    assert row[:2] == pytest.approx([11.04, 11.04])
    assert not row[2:].any()


def test_a_cap_below_the_minimum_leaves_no_legal_setpoint():
    demand = demand_of(session(), NOW, cap_kw=3.0)

    assert demand.max_power_kw == demand.min_power_kw == 0.0


def test_the_planner_does_not_clamp_a_car_to_an_equal_share_of_the_limit():
    # 4 charge points on 22 kW: a share is 5.5 kW, yet one car alone may take its full 22 kW.
    located = plan_location(22.0, 4, [session()], NOW, TARIFF, "Europe/Berlin")

    assert located.charge_point_cap_kw == 5.5
    assert located.plan.power_kw[0, 0] == pytest.approx(22.0)


def test_slots_of_any_length_plan_the_same_site():
    needs = Needs(requested_energy_kwh=0.05, departure_at=NOW + timedelta(seconds=60))

    located = plan_location(22.0, 2, [session(needs=needs)], NOW, TARIFF, "Europe/Berlin", slot_seconds=5)

    assert (located.slot_seconds, located.plan.slot_hours) == (5, 5 / 3600)
    assert located.plan.power_kw.shape == (1, 12)
    assert located.plan.energy_kwh()[0] == pytest.approx(0.05)
    with pytest.raises(ValueError, match="positive"):
        plan_location(22.0, 2, [], NOW, TARIFF, "Europe/Berlin", slot_seconds=0)


def test_the_tariff_follows_local_hours():
    assert TARIFF.price_at(datetime(2026, 1, 5, 5, 59)) == 0.18
    assert TARIFF.price_at(datetime(2026, 1, 5, 17, 0)) == 0.40
    assert TARIFF.price_at(datetime(2026, 1, 5, 23, 30)) == 0.18
    with pytest.raises(ValueError, match="not a time-of-use tariff"):
        Tariff.parse("6:0.2,0:0.1")


def test_delivered_energy_integrates_the_plan_between_two_moments():
    power = [10.0, 20.0, 0.0]

    assert delivered_kwh(NOW, 900, power, NOW + timedelta(minutes=5), NOW + timedelta(minutes=20)) == pytest.approx(
        10 * 10 / 60 + 20 * 5 / 60
    )


def test_a_location_plan_keeps_the_limit_and_the_site_cap():
    sessions = [session(f"s{i}", cp=f"CP{i % 2}", evse=1 + i // 2) for i in range(4)]

    located = plan_location(22.0, 2, sessions, NOW, TARIFF, "Europe/Berlin")

    assert located.charge_point_cap_kw == 11.0
    assert (located.plan.site_kw() <= 22.0 + 1e-9).all()
    assert located.plan.site_kw()[0] == pytest.approx(22.0)
    assert located.price_eur_per_kwh[0] == 0.28  # 9:00 in Berlin


def test_profiles_go_out_once_and_again_only_for_a_new_transaction():
    located = plan_location(22.0, 1, [session()], NOW, TARIFF, "Europe/Berlin")
    units = {"CP1": "A"}

    first = profiles_to_send(located, units, {"s1": 1000}, {}, 22.0)
    held = {(o.charge_point_id, o.evse_id, o.profile.purpose): o.profile for o in first}
    again = profiles_to_send(located, units, {"s1": 1000}, held, 22.0)
    other = plan_location(22.0, 1, [session("s2")], NOW, TARIFF, "Europe/Berlin")
    next_car = profiles_to_send(other, units, {"s2": 1001}, held, 22.0)

    assert [(o.evse_id, o.profile.purpose) for o in first] == [(0, "charge_point_max"), (1, "tx")]
    assert again == []
    assert [(o.evse_id, o.profile.transaction_ref) for o in next_car] == [(1, "tx-s2")]

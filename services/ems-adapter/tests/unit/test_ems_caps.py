"""The scheduled site cap: each charge point's max profile follows the plan, the caps never add up to more
than the limit (now, later, after the horizon, and while a replan reaches the charge points one by one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ems_adapter.domain.capacity import Limit
from ems_adapter.domain.caps import cap_profile, moments, next_batch, site_kw, steps, within
from ems_adapter.domain.dispatch import caps_to_send, desired_caps
from ems_adapter.domain.profiles import Electrical
from ems_adapter.domain.site import ActiveSession, Needs, Tariff, plan_location

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TARIFF = Tariff.parse("0:0.18,6:0.28,17:0.40,20:0.28,22:0.18")
WATTS = Electrical(unit="W")
FAR = NOW + timedelta(days=30)


def session(sid: str, cp: str, needs: Needs | None = None, connector: float = 11.0) -> ActiveSession:
    return ActiveSession(sid, cp, 1, f"tx-{sid}", NOW, 0.0, connector, needs)


def caps_sum(profiles, at: datetime) -> float:
    """The sum of the caps held at one moment, in kW."""
    return float(site_kw([steps(p) for p in profiles], np.array([at.timestamp()]))[0])


def max_sum(profiles, now: datetime = NOW) -> float:
    caps = [steps(p) for p in profiles]
    return float(site_kw(caps, moments(caps, now)).max())


def test_a_cap_follows_the_plan_then_holds_the_equal_share_for_good():
    cap = cap_profile(1, NOW, 900, [11.0, 11.0, 4.2, 0.0], 5.5, Electrical(unit="A", phases=3))

    assert (cap.purpose, cap.stack_level, cap.kind, cap.start, cap.duration_s) == (
        "charge_point_max", 0, "absolute", NOW, None,
    )  # fmt: skip
    assert [(p.start_offset_s, p.limit) for p in cap.periods] == [(0, 15.9), (1800, 6.0), (2700, 0.0), (3600, 7.9)]
    assert caps_sum([cap], NOW + timedelta(days=3)) == pytest.approx(7.9 * 3 * 0.23)


def test_a_dense_site_charges_and_its_caps_add_up_to_the_limit_at_most_at_every_moment():
    # 200 charge points on 400 kW: an equal share is 2 kW, below a three-phase car's 4.14 kW minimum.
    sessions = [session(f"s{i}", f"CP{i:03}") for i in range(200)]
    units = {f"CP{i:03}": "A" for i in range(200)}

    located = plan_location(400.0, 200, sessions, NOW, TARIFF, "Europe/Berlin")
    caps = desired_caps(located, units)  # type: ignore[arg-type]

    assert located.plan.site_kw()[0] == pytest.approx(400.0, rel=1e-6)
    charging = int((located.plan.power_kw[:, 0] > 0).sum())
    assert charging >= 400 // 11
    assert max_sum(caps.values()) <= 400.0 + 1e-6
    # After the horizon: the equal shares, each rounded down to 0.1 A (0.069 kW on three phases).
    assert 400.0 - 200 * 0.069 <= caps_sum(caps.values(), FAR) <= 400.0
    # Every car may draw what the plan gives it: its charge point's cap is not below its plan.
    for index, demand in enumerate(located.demands):
        cap = steps(caps[demand.session.charge_point_id])
        for slot in range(located.plan.power_kw.shape[1]):
            at = (NOW + timedelta(seconds=slot * located.slot_seconds + 1)).timestamp()
            assert float(cap.at(np.array([at]))[0]) >= located.plan.power_kw[index, slot] - 0.1 * 0.69


def test_an_idle_charge_point_holds_nothing_within_the_horizon_and_its_share_after_it():
    needs = Needs(requested_energy_kwh=30.0, departure_at=NOW + timedelta(hours=2))
    located = plan_location(22.0, 2, [session("s1", "CP1", needs, connector=22.0)], NOW, TARIFF, "Europe/Berlin")

    caps = desired_caps(located, {"CP1": "W", "CP2": "W"})

    assert caps_sum([caps["CP1"]], NOW) == pytest.approx(22.0)
    assert caps_sum([caps["CP2"]], NOW) == 0.0
    assert caps_sum([caps["CP2"]], NOW + timedelta(hours=3)) == pytest.approx(11.0)
    assert max_sum(caps.values()) <= 22.0 + 1e-9


def test_a_held_cap_a_little_too_high_is_replaced_when_the_others_need_its_room():
    # CP1 holds 11 kW from an earlier plan; the new plan gives it 10.5 kW (too little change to
    # matter alone) and CP2 the remaining 11.5 kW: keeping CP1's old cap would overload the site.
    held_cp1 = cap_profile(1, NOW, 900, [11.0] * 8, 11.0, WATTS)
    held = {("CP1", 0, "charge_point_max"): held_cp1}
    sessions = [
        session(
            "s1", "CP1", Needs(requested_energy_kwh=21.0, departure_at=NOW + timedelta(hours=2), max_power_kw=10.5)
        ),
        session("s2", "CP2", Needs(requested_energy_kwh=40.0, departure_at=NOW + timedelta(hours=2)), connector=22.0),
    ]
    located = plan_location(22.0, 2, sessions, NOW, TARIFF, "Europe/Berlin")

    send = caps_to_send(located, {"CP1": "W", "CP2": "W"}, held, 22.0)

    assert set(send) == {"CP1", "CP2"}
    assert max_sum(send.values()) <= 22.0 + 1e-9


def roll_out(holding, pending, limit, fallback=0.0, refuse=frozenset()):
    """Apply ``next_batch`` until it is done, checking every state any order of delivery can produce."""
    holding, pending = dict(holding), dict(pending)
    electrical = dict.fromkeys(holding, WATTS)
    rounds = 0
    while pending:
        batch = next_batch(holding, pending, electrical, limit, fallback, NOW)
        if not batch:
            break
        rounds += 1
        assert rounds < 10
        worst = dict(holding)
        for step in batch:
            old, new = steps(holding[step.charge_point_id]), steps(step.profile)
            at = moments([old, new], NOW)
            higher = new if np.any(new.at(at) > old.at(at)) else old
            worst[step.charge_point_id] = step.profile if higher is new else holding[step.charge_point_id]
            if step.charge_point_id in refuse:
                del pending[step.charge_point_id]
                continue
            holding[step.charge_point_id] = step.profile
            if step.final:
                del pending[step.charge_point_id]
        # Members of a batch arrive in any order; the worst case is each at the higher of old and new.
        caps = [steps(p) for p in worst.values()]
        assert within(caps, limit, NOW), site_kw(caps, moments(caps, NOW)).max()
    return holding, pending


def test_two_charge_points_swapping_their_slots_go_through_a_lower_step_first():
    a_old, a_new = cap_profile(1, NOW, 900, [10, 0], 0, WATTS), cap_profile(1, NOW, 900, [0, 10], 0, WATTS)
    b_old, b_new = cap_profile(1, NOW, 900, [0, 10], 0, WATTS), cap_profile(1, NOW, 900, [10, 0], 0, WATTS)

    holding, pending = roll_out({"A": a_old, "B": b_old}, {"A": a_new, "B": b_new}, 10.0)

    assert pending == {}
    assert holding == {"A": a_new, "B": b_new}


def test_a_raise_waits_while_the_charge_point_that_must_give_room_refuses():
    a_old, a_new = cap_profile(1, NOW, 900, [10], 0, WATTS), cap_profile(1, NOW, 900, [2], 0, WATTS)
    b_old, b_new = cap_profile(1, NOW, 900, [0], 0, WATTS), cap_profile(1, NOW, 900, [8], 0, WATTS)

    holding, pending = roll_out({"A": a_old, "B": b_old}, {"A": a_new, "B": b_new}, 10.0, refuse={"A"})

    assert holding == {"A": a_old, "B": b_old}
    assert pending == {"B": b_new}  # deferred to the next replan


def test_a_charge_point_without_a_cap_counts_at_its_share():
    b_old, b_new = cap_profile(1, NOW, 900, [0], 0, WATTS), cap_profile(1, NOW, 900, [6], 0, WATTS)

    # "A" never accepted a cap: counted at the 5 kW share, so B may rise to 5 kW, not 6.
    assert next_batch({"A": None, "B": b_old}, {"B": b_new}, {"A": WATTS, "B": WATTS}, 10.0, 5.0, NOW) == []
    raised = cap_profile(1, NOW, 900, [5], 0, WATTS)
    assert [s.charge_point_id for s in next_batch({"A": None, "B": b_old}, {"B": raised}, {}, 10.0, 5.0, NOW)] == ["B"]


slots = st.lists(st.floats(0, 10), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    old=st.lists(slots, min_size=2, max_size=5),
    new=st.lists(slots, min_size=2, max_size=5),
    shift=st.integers(0, 1800),
)
def test_any_rollout_keeps_every_moment_within_the_limit(old, new, shift):
    count = min(len(old), len(new))
    limit = 10.0
    share = limit / count

    def fitted(rows, start):
        """Rows scaled so that each slot's sum stays within the limit, as the LP's plans do."""
        width = max(len(row) for row in rows[:count])
        power = np.zeros((count, width))
        for index, row in enumerate(rows[:count]):
            power[index, : len(row)] = row
        power *= np.minimum(1.0, limit / np.maximum(power.sum(axis=0), 1e-9))
        return {f"CP{i}": cap_profile(1, start, 900, [float(v) for v in power[i]], share, WATTS) for i in range(count)}

    holding = fitted(old, NOW - timedelta(seconds=shift))
    pending = fitted(new, NOW)
    assert within([steps(p) for p in holding.values()], limit, NOW)

    final, left = roll_out(holding, pending, limit, fallback=share)

    assert left == {}
    assert final == pending


def test_a_cap_is_not_resent_when_the_plan_only_moved_its_horizon_or_lowered_a_car():
    # An idle site replanned a minute later: the idle caps' fallback starts later, which costs no message.
    first = plan_location(22.0, 2, [], NOW, TARIFF, "Europe/Berlin")
    held = {(cp, 0, "charge_point_max"): cap for cp, cap in desired_caps(first, {"CP1": "A", "CP2": "A"}).items()}
    later = plan_location(22.0, 2, [], NOW + timedelta(minutes=1), TARIFF, "Europe/Berlin")

    assert caps_to_send(later, {"CP1": "A", "CP2": "A"}, held, 22.0) == {}

    # A car whose plan goes down keeps its (higher) cap while the sum fits; one whose plan goes up gets more.
    held_high = {("CP1", 0, "charge_point_max"): cap_profile(1, NOW, 900, [11.0] * 8, 11.0, WATTS)}
    lower = plan_location(
        22.0, 2, [session("s1", "CP1", Needs(requested_energy_kwh=5.0))], NOW, TARIFF, "Europe/Berlin"
    )
    assert "CP1" not in caps_to_send(lower, {"CP1": "W", "CP2": "W"}, held_high, 22.0)
    held_low = {("CP1", 0, "charge_point_max"): cap_profile(1, NOW, 900, [4.2] * 8, 11.0, WATTS)}
    assert "CP1" in caps_to_send(lower, {"CP1": "W", "CP2": "W"}, held_low, 22.0)


def test_a_lower_capacity_for_a_while_binds_the_caps_held_from_an_earlier_plan():
    # Both charge points hold 11 kW caps from a plan made before a capacity forecast of 8 kW for
    # the first hour arrived; the new plan keeps 8 kW, and the old caps must not sum above it.
    needs = Needs(requested_energy_kwh=20.0, departure_at=NOW + timedelta(hours=4))
    sessions = [session("s1", "CP1", needs), session("s2", "CP2", needs)]
    old = {(cp, 0, "charge_point_max"): cap_profile(1, NOW, 900, [11.0] * 16, 11.0, WATTS) for cp in ("CP1", "CP2")}
    limits = [Limit(NOW, NOW + timedelta(hours=1), 8.0)]
    located = plan_location(22.0, 2, sessions, NOW, TARIFF, "Europe/Berlin", limits=limits)

    send = caps_to_send(located, {"CP1": "W", "CP2": "W"}, old, 22.0)

    assert send
    final = [send.get(cp, old[(cp, 0, "charge_point_max")]) for cp in ("CP1", "CP2")]
    assert caps_sum(final, NOW + timedelta(minutes=30)) <= 8.0 + 1e-9
    assert max_sum(final, NOW) <= 22.0 + 1e-9


def test_a_single_phase_car_gets_its_plan_and_the_fallback_holds_for_a_three_phase_one():
    cap = cap_profile(1, NOW, 900, [3.68], 11.0, Electrical(unit="A", phases=1))

    assert [(p.limit, p.number_phases) for p in cap.periods] == [(16.0, 1), (15.9, 3)]
    assert caps_sum([cap], NOW) == pytest.approx(3.68)
    assert caps_sum([cap], FAR) == pytest.approx(15.9 * 0.69)


def test_a_held_cap_that_has_not_started_yet_limits_nothing_and_is_replaced():
    # Before its start a profile does not apply: that charge point is unlimited until then.
    later = cap_profile(1, NOW + timedelta(minutes=1), 900, [22.0] * 4, 11.0, WATTS)
    needs = Needs(requested_energy_kwh=10.0, departure_at=NOW + timedelta(hours=2))
    sessions = [session("s1", "CP1", needs), session("s2", "CP2", needs)]
    located = plan_location(22.0, 2, sessions, NOW, TARIFF, "Europe/Berlin")

    send = caps_to_send(located, {"CP1": "W", "CP2": "W"}, {("CP1", 0, "charge_point_max"): later}, 22.0)

    assert set(send) == {"CP1", "CP2"}
    assert max_sum(send.values()) <= 22.0 + 1e-9

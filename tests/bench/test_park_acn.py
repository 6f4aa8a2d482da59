"""PARK's ACN-Sim adapter: units, deadband and limits; the algorithms themselves only with acnportal installed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from benchmarks import park, park_acn
from benchmarks.park_site import Session, Site

pytestmark = pytest.mark.unit


def tiny_site() -> Site:
    """Four cars on 8 slots; the limit drops from 20 kW to 9 kW as the base load rises."""
    capacity = np.array([20.0, 20.0, 15.0, 9.0, 9.0, 9.0, 20.0, 20.0])
    sessions = [
        Session("a", 0, 6, 5, 8.0, 11.0, 4.14),  # three-phase, leaves a slot earlier than it says
        Session("b", 0, 4, 5, 5.0, 7.4, 1.38),  # one-phase
        Session("c", 1, 8, 8, 12.0, 22.0, 4.14),
        Session("d", 2, 5, 3, 2.0, 11.0, 4.14),  # says it leaves before it does
    ]
    return Site(8, capacity, 40.0 - capacity, np.full(8, 0.28), sessions)


def test_slot_view_is_in_amps_that_give_back_the_kw_limits():
    site = tiny_site()
    remaining = np.array([8.0, 1.0, 12.0, 2.0])
    view = park_acn.slot_view(site, 3, [0, 1, 3], remaining)
    assert view.ids == ["a", "b", "d"]
    assert view.departure == [5, 5, 4]  # declared, at least one slot ahead: never the true departure
    np.testing.assert_allclose(view.max_a * park_acn.KW_PER_AMP, [11.0, 7.4, 11.0])
    np.testing.assert_allclose(view.min_a, [18.0, 6.0, 18.0])  # 6 A per phase, summed over the phases
    np.testing.assert_allclose(view.delivered_kwh, [0.0, 4.0, 0.0])
    np.testing.assert_allclose(view.capacity_a * park_acn.KW_PER_AMP, [9.0, 9.0, 9.0, 20.0, 20.0])


def test_pilots_in_the_deadband_draw_nothing_and_tolerance_is_scaled_away():
    kw, deadband = park_acn.setpoints_kw(np.array([10.0, 5.0, 0.0]), np.array([18.0, 6.0, 6.0]), 100.0)
    np.testing.assert_allclose(kw, [0.0, 0.0, 0.0])
    assert deadband == 2
    limit = 100.0
    kw, deadband = park_acn.setpoints_kw(np.array([60.0, 40.0 + 5e-6]), np.array([6.0, 6.0]), limit)
    assert kw.sum() == pytest.approx(limit * park_acn.KW_PER_AMP)
    assert kw.sum() <= limit * park_acn.KW_PER_AMP
    kw, _ = park_acn.setpoints_kw(np.array([60.0, 41.0]), np.array([6.0, 6.0]), limit)
    assert kw.sum() == pytest.approx(101 * park_acn.KW_PER_AMP)  # a real overshoot stays, the scorer counts it


def test_interface_checks_every_slot_against_its_own_limit():
    interface = park_acn.ParkInterface(park_acn.slot_view(tiny_site(), 2, [0, 2], np.array([8.0, 5.0, 12.0, 2.0])))
    per_amp = park_acn.KW_PER_AMP
    assert interface.is_feasible({"a": [15 / per_amp / 2] * 2, "c": [15 / per_amp / 2, 0.0]})
    assert not interface.is_feasible({"a": [15 / per_amp / 2] * 2, "c": [15 / per_amp / 2] * 2})
    np.testing.assert_allclose(interface.capacity_profile_a(8) * per_amp, [15, 9, 9, 9, 20, 20, 20, 20])
    assert interface.remaining_amp_periods(SimpleNamespace(remaining_demand=1.0)) == pytest.approx(1000 / 230 * 4)


@pytest.fixture(scope="module")
def acn_rows():
    pytest.importorskip("acnportal")
    pytest.importorskip("cvxpy")
    assert park_acn.AVAILABLE
    site = tiny_site()
    rows = {}
    for name, make in park_acn._algorithms(adaptive=True).items():
        counters = park_acn._Counters(replans=[])
        setpoints: list[tuple[list[int], np.ndarray]] = []
        inner = park_acn.planner(make(), counters)

        def recording(site, now, present, remaining, previous, inner=inner, setpoints=setpoints):
            power, plan = inner(site, now, present, remaining, previous)
            setpoints.append((list(present), power))
            return power, plan

        rows[name] = (park.simulate(name, site, recording), setpoints, counters)
    return site, rows


def test_every_acn_algorithm_runs_through_the_park_scorer(acn_rows):
    site, rows = acn_rows
    assert set(rows) == {
        "ACN-Sim uncontrolled", "ACN-Sim EDF", "ACN-Sim LLF", "ACN-Sim round robin", "ACN adaptive QC (cvxpy)",
    }  # fmt: skip
    requested = sum(s.energy_kwh for s in site.sessions)
    for name, (score, _, counters) in rows.items():
        assert 0 < score.energy_kwh <= requested + 1e-6, name
        assert len(counters.replans) == site.slots, name


def test_controlled_acn_algorithms_keep_each_slots_limit_and_the_deadband(acn_rows):
    site, rows = acn_rows
    for name, (score, setpoints, _) in rows.items():
        if name == "ACN-Sim uncontrolled":
            assert score.violations > 0  # it ignores the limit by design: proves the limit binds here
            continue
        assert score.violations == 0, name
        for present, power in setpoints:
            minimum = np.array([site.sessions[i].min_power_kw for i in present])
            maximum = np.array([site.sessions[i].max_power_kw for i in present])
            assert np.all((power == 0) | (power >= minimum - 1e-6)), name
            assert np.all(power <= maximum + 1e-6), name

"""The optimiser and its repairs: hard rules always hold, then energy, cost and peak in that order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ems_adapter.domain.compress import solve_compressed
from ems_adapter.domain.model import SiteProblem, VehicleDemand, check_plan
from ems_adapter.domain.online import replan
from ems_adapter.domain.optimiser import solve

pytestmark = pytest.mark.unit


def site(capacity, price, vehicles, **extra):
    return SiteProblem(0.25, np.asarray(capacity, float), np.asarray(price, float), vehicles, **extra)


def test_energy_goes_to_the_cheapest_slots_of_the_window_with_the_flattest_peak():
    problem = site([22] * 8, [0.4, 0.4, 0.1, 0.1, 0.3, 0.3, 0.2, 0.2], [VehicleDemand("a", 0, 8, 5.0, 11.0)])

    plan = solve(problem)

    assert plan.row("a").tolist() == pytest.approx([0, 0, 10, 10, 0, 0, 0, 0], abs=1e-6)
    assert check_plan(problem, plan) == []


def test_no_saving_buys_an_undelivered_kwh():
    # Only the dear first slot can serve b; the optimiser must use it rather than save money.
    problem = site([11] * 4, [1.0, 0.1, 0.1, 0.1], [VehicleDemand("b", 0, 1, 2.75, 11.0)])

    assert solve(problem).energy_kwh()[0] == pytest.approx(2.75)


def test_infeasible_demand_is_served_as_far_as_possible_within_the_limit():
    vehicles = [VehicleDemand(f"v{i}", 0, 4, 20.0, 11.0) for i in range(3)]
    problem = site([10] * 4, [0.2] * 4, vehicles)

    plan = solve(problem)

    assert check_plan(problem, plan) == []
    assert plan.energy_kwh().sum() == pytest.approx(10.0, abs=1e-6)  # 10 kW x 1 h: all the site has


def test_scarce_capacity_split_below_every_minimum_is_still_used_in_full():
    # Regression: the LP shares 10 kW as 3.33 kW each, below every 4.14 kW minimum; the old repair
    # zeroed the shares and left the site idle. Consolidation gives two cars the slot instead.
    vehicles = [VehicleDemand(f"v{i}", 0, 4, 20.0, 11.0, 4.14) for i in range(3)]
    problem = site([10] * 4, [0.2] * 4, vehicles)

    plan = solve(problem)

    assert check_plan(problem, plan) == []
    assert plan.energy_kwh().sum() == pytest.approx(10.0, abs=1e-6)


def test_equal_cost_ties_are_shared_fairly_when_scarce():
    vehicles = [VehicleDemand(f"v{i}", 0, 4, 10.0, 11.0) for i in range(2)]

    plan = solve(site([8] * 4, [0.2] * 4, vehicles))

    assert plan.energy_kwh().tolist() == pytest.approx([4.0, 4.0], abs=1e-6)


def test_among_equal_costs_the_flatter_peak_wins():
    plan = solve(site([22] * 4, [0.2] * 4, [VehicleDemand("a", 0, 4, 4.0, 22.0)]))

    assert plan.site_kw().max() == pytest.approx(4.0, abs=1e-6)


def test_a_sub_minimum_setpoint_is_moved_not_sent():
    # The LP wants 2 kW of the cheap slot for b; 2 kW is below b's minimum of 4.14 kW.
    vehicles = [VehicleDemand("a", 0, 4, 2.25, 9.0), VehicleDemand("b", 0, 4, 3.0, 11.0, 4.14)]
    problem = site([11, 11, 11, 11], [0.1, 0.3, 0.3, 0.3], vehicles)

    plan = solve(problem)

    assert check_plan(problem, plan) == []
    assert plan.energy_kwh().sum() == pytest.approx(5.25, abs=1e-6)


def test_windows_are_respected():
    problem = site([50] * 6, [0.1] * 6, [VehicleDemand("a", 2, 4, 100.0, 11.0)])

    row = solve(problem).row("a")

    assert row[[0, 1, 4, 5]].tolist() == [0, 0, 0, 0]
    assert row[2:4].tolist() == pytest.approx([11, 11])


vehicle = st.builds(
    lambda first, length, energy, high, low: VehicleDemand("x", first, first + length, energy, high, min(low, high)),
    st.integers(0, 10),
    st.integers(0, 12),
    st.floats(0, 60),
    st.floats(1, 22),
    st.floats(0, 6),
)


@settings(max_examples=60, deadline=None)
@given(
    vehicles=st.lists(vehicle, max_size=8),
    capacity=st.lists(st.floats(0, 40), min_size=12, max_size=12),
    price=st.lists(st.floats(0.05, 0.5), min_size=12, max_size=12),
)
def test_every_planner_keeps_every_hard_rule(vehicles, capacity, price):
    vehicles = [VehicleDemand(f"v{i}", v.first_slot, v.end_slot, v.energy_kwh, v.max_power_kw, v.min_power_kw)
                for i, v in enumerate(vehicles)]  # fmt: skip
    problem = site(capacity, price, vehicles)

    quiet_site = np.zeros(len(capacity))
    busy_evening = [VehicleDemand("expected", 4, 10, 30.0, 20.0)]
    planners = (
        solve,
        solve_compressed,
        replan,
        lambda p: replan(p, forecast_kw=quiet_site),
        lambda p: replan(p, expected=busy_evening),
    )
    for planner in planners:
        assert check_plan(problem, planner(problem)) == [], planner


def test_the_compressed_plan_is_close_to_the_exact_one():
    rng = np.random.default_rng(3)
    vehicles = [VehicleDemand(f"v{i}", 0, int(rng.integers(8, 96)), float(rng.uniform(5, 30)), 11.0, 4.14)
                for i in range(200)]  # fmt: skip
    price = np.array([0.2] * 28 + [0.35] * 40 + [0.25] * 28)
    problem = site(np.full(96, 600.0), price, vehicles)

    exact, coarse = solve(problem), solve_compressed(problem)

    assert check_plan(problem, coarse) == []
    assert coarse.energy_kwh().sum() >= 0.99 * exact.energy_kwh().sum()


def test_without_a_forecast_spare_capacity_now_is_used_rather_than_deferred():
    # The night (slots 2-3) is cheaper, but cars arriving by then may need it: energy ranks first.
    problem = site([22] * 4, [0.4, 0.4, 0.18, 0.18], [VehicleDemand("a", 0, 4, 5.0, 11.0, 4.14)])

    plan = replan(problem)

    assert plan.row("a")[0] == pytest.approx(11.0)
    assert plan.energy_kwh()[0] == pytest.approx(5.0)
    assert check_plan(problem, plan) == []


def test_a_forecast_of_a_quiet_site_keeps_the_cheap_deferral():
    problem = site([22] * 4, [0.4, 0.4, 0.18, 0.18], [VehicleDemand("a", 0, 4, 5.0, 11.0, 4.14)])

    plan = replan(problem, forecast_kw=np.zeros(4))

    assert plan.row("a").tolist() == pytest.approx([0, 0, 10, 10], abs=1e-6)


def test_a_forecast_of_a_busy_night_makes_the_car_charge_now():
    problem = site([22] * 4, [0.4, 0.4, 0.18, 0.18], [VehicleDemand("a", 0, 4, 5.0, 11.0, 4.14)])

    plan = replan(problem, forecast_kw=np.array([0.0, 0.0, 22.0, 22.0]))

    assert plan.row("a")[0] == pytest.approx(11.0)


@pytest.mark.parametrize("energy", [2.8, 2.9, 3.0, 5.6, 6.25])
def test_no_car_is_left_a_remainder_below_one_minimum_slot(energy):
    # A remainder under 4.14 kW x 15 min can never be delivered: finish now or leave a full minimum slot.
    problem = site([11, 11, 11, 11], [0.3] * 4, [VehicleDemand("a", 0, 4, energy, 11.0, 4.14)])

    plan = replan(problem)

    left = energy - plan.row("a")[0] * 0.25
    assert left <= 1e-6 or left >= 4.14 * 0.25 - 1e-6
    assert check_plan(problem, plan) == []


def test_a_car_that_can_finish_now_does_so_rather_than_strand_a_remainder():
    problem = site([22, 22], [0.3, 0.3], [VehicleDemand("a", 0, 2, 3.0, 22.0, 4.14)])

    plan = replan(problem)

    assert plan.row("a").tolist() == pytest.approx([12.0, 0.0])

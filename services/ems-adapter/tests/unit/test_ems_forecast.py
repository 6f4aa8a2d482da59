"""The demand forecast: learned from history, it lets the planner defer only into room nobody else needs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from ems_adapter.domain.forecast import SAFETY, PastSession, learn
from ems_adapter.domain.model import SiteProblem, VehicleDemand, check_plan
from ems_adapter.domain.online import replan

pytestmark = pytest.mark.unit

MONDAY = date(2026, 1, 5)


def commuters(weeks: int) -> list[PastSession]:
    """Two cars every weekday at 8:00, 10 kWh each, staying 9 h at 11 kW; nobody at weekends."""
    days = [MONDAY + timedelta(days=d) for d in range(7 * weeks) if (MONDAY + timedelta(days=d)).weekday() < 5]
    return [PastSession(datetime.combine(day, datetime.min.time()) + timedelta(hours=8), 9.0, 10.0, 11.0)
            for day in days for _ in range(2)]  # fmt: skip


def test_it_learns_the_energy_arriving_per_slot_of_day_for_weekdays_and_weekends():
    forecast = learn(commuters(2), MONDAY, MONDAY + timedelta(days=14))

    weekday, weekend = forecast.arriving_kwh(False), forecast.arriving_kwh(True)

    assert forecast.days == (10, 4)
    assert weekday.sum() == pytest.approx(20.0)  # kWh per average weekday, wherever smoothing put it
    assert weekday[30:35].sum() == pytest.approx(20.0)  # 7:30-8:45, around the 8:00 arrivals
    assert weekend.sum() == 0.0


def test_sessions_outside_the_learning_window_are_ignored():
    forecast = learn(commuters(2), MONDAY, MONDAY + timedelta(days=7))

    assert forecast.days == (5, 2)
    assert forecast.arriving_kwh(False).sum() == pytest.approx(20.0)


def test_expected_arrivals_are_pseudo_vehicles_on_the_slots_ahead():
    forecast = learn(commuters(1), MONDAY, MONDAY + timedelta(days=7))

    expected = forecast.expected_arrivals(datetime(2026, 1, 12, 7, 0), 16)  # next Monday 7:00-11:00

    assert expected is not None
    assert all(1 <= v.first_slot < v.end_slot <= 16 for v in expected)
    inside = {v.first_slot: (v.end_slot - v.first_slot) / 36 for v in expected}  # 9 h stays, cut at 11:00
    total = sum(v.energy_kwh / inside[v.first_slot] for v in expected)
    assert total == pytest.approx(20.0 * SAFETY)


def test_without_history_for_the_day_the_forecast_says_unknown_and_the_replan_stays_work_conserving():
    weekdays_only = learn(commuters(1), MONDAY, MONDAY + timedelta(days=5))
    nothing = learn([], MONDAY, MONDAY)
    problem = SiteProblem(
        0.25, np.full(4, 22.0), np.array([0.4, 0.4, 0.18, 0.18]), [VehicleDemand("a", 0, 4, 5.0, 11.0)]
    )

    assert weekdays_only.expected_arrivals(datetime(2026, 1, 10, 12, 0), 8) is None  # a Saturday
    expected = nothing.expected_arrivals(datetime(2026, 1, 12, 12, 0), 4)
    assert expected is None
    plan = replan(problem, expected=expected)
    assert plan.row("a")[0] == pytest.approx(11.0)  # charges now, as without a forecast
    assert plan.power_kw.tolist() == replan(problem).power_kw.tolist()


def run_online(expected_for: list[VehicleDemand] | None) -> dict[str, float]:
    """Slot by slot: car a is here from 0, car b really arrives at slot 4; returns what each got."""
    capacity, price = np.full(8, 22.0), np.array([0.4] * 4 + [0.18] * 4)
    cars = {"a": (0, 10.0), "b": (4, 16.5)}
    got = dict.fromkeys(cars, 0.0)
    for now in range(8):
        present = [VehicleDemand(k, 0, 8 - now, energy - got[k], 22.0) for k, (arrive, energy) in cars.items()
                   if arrive <= now]  # fmt: skip
        expected = None
        if expected_for is not None:  # the forecast, moved onto this replan's slots
            expected = [VehicleDemand(v.id, v.first_slot - now, v.end_slot - now, v.energy_kwh, v.max_power_kw)
                        for v in expected_for if v.first_slot > now]  # fmt: skip
        problem = SiteProblem(0.25, capacity[now:], price[now:], present)
        plan = replan(problem, expected=expected)
        assert check_plan(problem, plan) == []
        for index, vehicle in enumerate(present):
            got[vehicle.id] += float(plan.power_kw[index, 0]) * 0.25
    return got


def test_capacity_reserved_for_a_forecast_arrival_serves_it_and_the_rest_is_deferred_to_cheap_slots():
    # b needs 16.5 of the 22 kWh the cheap slots hold; a may defer only the other 5.5 kWh.
    forecast_b = [VehicleDemand("expected-b", 4, 8, 16.5, 22.0)]

    with_forecast = run_online(forecast_b)
    quiet_forecast = run_online([])  # "nobody comes": a defers everything and b is short

    assert with_forecast == pytest.approx({"a": 10.0, "b": 16.5})
    assert quiet_forecast["b"] < 16.5 - 1.0


def test_a_forecast_reservation_never_costs_a_car_that_is_here_its_energy():
    # The forecast wants every slot; the real car still gets its full request.
    problem = SiteProblem(0.25, np.full(4, 11.0), np.full(4, 0.3), [VehicleDemand("a", 0, 4, 11.0, 11.0)])

    plan = replan(problem, expected=[VehicleDemand("expected", 1, 4, 100.0, 11.0)])

    assert plan.energy_kwh()[0] == pytest.approx(11.0)

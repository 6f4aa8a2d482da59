"""Baselines: uncontrolled ignores the limit; the others keep it and honour minimum power."""

from __future__ import annotations

import pytest

from ems_adapter.domain.baselines import BASELINES, SlotState, earliest_deadline_first, equal_share, least_laxity_first

pytestmark = pytest.mark.unit

CARS = [SlotState(10.0, 8, 11.0, 4.14), SlotState(10.0, 2, 11.0, 4.14), SlotState(1.0, 20, 11.0, 4.14)]


def test_uncontrolled_draws_full_power_up_to_what_is_left():
    assert BASELINES["uncontrolled"](CARS, 5.0, 0.25).tolist() == pytest.approx([11, 11, 4])


def test_equal_share_shares_and_drops_cars_below_their_minimum():
    power = equal_share(CARS, 10.0, 0.25)

    assert power.sum() <= 10.0 + 1e-9
    assert all(p == 0 or p >= 4.14 - 1e-9 for p in power)


def test_edf_serves_the_earliest_departure_first():
    assert earliest_deadline_first(CARS, 12.0, 0.25).tolist() == pytest.approx([0, 11, 0])


def test_llf_serves_the_least_laxity_first():
    cars = [SlotState(20.0, 10, 11.0), SlotState(1.0, 4, 11.0)]  # laxity 10 - 7.27 < 4 - 0.36

    assert least_laxity_first(cars, 11.0, 0.25).tolist() == pytest.approx([11, 0])


@pytest.mark.parametrize("name", ["equal share", "EDF", "LLF"])
def test_controlled_baselines_keep_the_limit(name):
    assert BASELINES[name](CARS, 7.0, 0.25).sum() <= 7.0 + 1e-9

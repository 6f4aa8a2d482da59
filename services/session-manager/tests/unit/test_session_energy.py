"""Energy of a session from meter start/stop or the register readings (Decimal, Wh/kWh)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from session_manager.domain.energy import Energy, Reading, register_wh, session_energy, to_wh

pytestmark = pytest.mark.unit


def kwh(value, **extra):
    return Reading(value=value, unit="kWh", **extra)


def test_meter_stop_minus_start_wins_when_both_are_known():
    readings = [kwh("1"), kwh("99")]

    assert session_energy(1000, 8350, readings) == Energy(7350, "meter_start_stop")


def test_a_zero_energy_session_is_zero_not_unknown():
    assert session_energy(500, 500, []) == Energy(0, "meter_start_stop")


def test_without_meter_stop_the_readings_spread_counts_with_the_start():
    readings = [kwh("10.5", context="Sample.Periodic"), kwh("12.25", context="Transaction.End")]

    assert session_energy(10_000, None, readings) == Energy(2250, "register_readings")


def test_readings_in_kwh_and_wh_are_compared_in_wh():
    readings = [Reading("40000", unit="Wh"), kwh("41.5"), Reading("40500")]  # no unit means Wh

    assert session_energy(None, None, readings) == Energy(1500, "register_readings")


def test_the_decimal_text_is_read_exactly_and_rounded_half_up():
    readings = [kwh("0.1"), kwh("0.2005")]  # 100.5 Wh: a float would give 100.49999...

    assert session_energy(None, None, readings) == Energy(101, "register_readings")


@pytest.mark.parametrize(
    "ignored",
    [
        kwh("99", context="Sample.Clock"),
        kwh("99", context="Interruption.Begin"),
        kwh("99", context="Trigger"),
        kwh("99", location="Inlet"),
        kwh("99", location="EV"),
        kwh("99", phase="L1"),
        kwh("99", measurand="Energy.Active.Export.Register"),
        kwh("99", measurand="Power.Active.Import"),
        Reading("99", unit="varh"),
        kwh("99", format="SignedData"),
        kwh("not a number"),
        kwh("NaN"),
        kwh("-5"),
    ],
)
def test_readings_outside_the_transactions_total_import_register_do_not_count(ignored):
    readings = [kwh("10", context="Transaction.Begin"), ignored, kwh("11", context="Transaction.End")]

    assert register_wh(ignored) is None
    assert session_energy(None, None, readings) == Energy(1000, "register_readings")


def test_outlet_is_the_default_location_and_counts():
    assert register_wh(kwh("1", location="Outlet")) == Decimal(1000)


def test_unit_spelling_is_forgiven():
    assert to_wh(Decimal("1.5"), "KWH") == Decimal("1500.0")
    assert to_wh(Decimal(7), None) == Decimal(7)


def test_one_reading_alone_tells_no_energy():
    assert session_energy(None, None, [kwh("5")]) == Energy(None, None)
    assert session_energy(None, None, []) == Energy(None, None)


def test_a_stop_below_the_start_is_not_trusted_and_the_readings_decide():
    readings = [kwh("3"), kwh("3.2")]

    assert session_energy(5000, 100, readings) == Energy(200, "register_readings")
    assert session_energy(5000, 100, []) == Energy(None, None)


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=2, max_size=20))
def test_the_same_readings_in_wh_or_kwh_give_the_same_energy(values_wh):
    in_wh = [Reading(str(v), unit="Wh") for v in values_wh]
    in_kwh = [kwh(str(Decimal(v) / 1000)) for v in values_wh]

    expected = Energy(max(values_wh) - min(values_wh), "register_readings")
    assert session_energy(None, None, in_wh) == expected
    assert session_energy(None, None, in_kwh) == expected


def test_the_2x_multiplier_scales_register_readings() -> None:
    # 2.x sends 12.5 with unitOfMeasure {"unit": "Wh", "multiplier": 3}: 12,500 Wh.
    begin = Reading(value="12.5", unit="Wh", multiplier=3, context="Transaction.Begin")
    end = Reading(value="14", unit="Wh", multiplier=3, context="Transaction.End")
    assert session_energy(None, None, [begin, end]) == Energy(1500, "register_readings")

"""Read-back: a charge point's composite schedule (1.6 or 2.x answer) against the profiles we installed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ems_adapter.domain.caps import cap_profile
from ems_adapter.domain.profiles import Electrical, tx_profile
from ems_adapter.domain.readback import Check, installed, reported_schedule, verdict, window_s

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
AMPS = Electrical(unit="A", phases=3)
# Our cap: 11 kW for a slot, then 4.2 kW, then the share of 5.5 kW for good (15.9 A, 6.0 A, 7.9 A).
CAP = cap_profile(1, NOW, 900, [11.0, 4.2], 5.5, AMPS)
# The car's plan: 7.4 kW for a slot, then 11 kW (10.7 A, 15.9 A), for two slots.
TX = tx_profile(5, "tx-1", NOW, 900, [7.4, 11.0], AMPS)


def v2_answer(periods, *, start=NOW, unit="A", duration=3600):
    return {
        "status": "Accepted",
        "schedule": {
            "evse_id": 1,
            "duration": duration,
            "schedule_start": start.isoformat().replace("+00:00", "Z"),
            "charging_rate_unit": unit,
            "charging_schedule_period": [{"start_period": s, "limit": v, "number_phases": 3} for s, v in periods],
        },
    }


def v16_answer(periods, *, start=NOW, unit="A"):
    return {
        "status": "Accepted",
        "connector_id": 0,
        "schedule_start": start.isoformat(),
        "charging_schedule": {
            "duration": 3600,
            "charging_rate_unit": unit,
            "charging_schedule_period": [{"start_period": s, "limit": v} for s, v in periods],
        },
    }


def check(answer, tx=TX, evse=1, window=3600):
    reported = reported_schedule(answer, NOW)
    return verdict([Check(evse, "accepted", reported, installed(CAP, tx))], window)


def test_a_charge_point_reporting_the_smaller_of_cap_and_tx_profile_is_verified():
    # min(cap, tx): 7.4 kW (10.7 A) for a slot, then min(4.2, 11) = 6.0 A for the second, then the share.
    assert check(v2_answer([(0, 10.7), (900, 6.0), (1800, 7.9)])) == ("verified", None)
    # The same in W, as a 1.6 answer, within 0.1 of the unit of what we sent.
    watts = [(0, 7383.0), (900, 4140.0), (1800, 5451.0)]
    assert check(v16_answer(watts, unit="W")) == ("verified", None)
    # EVSE 0 reports the cap alone.
    assert check(v16_answer([(0, 15.9), (900, 6.0), (1800, 7.9)]), tx=None, evse=0) == ("verified", None)


def test_a_charge_point_ignoring_our_tx_profile_is_a_mismatch_with_where_and_how_much():
    found, difference = check(v2_answer([(0, 15.9), (900, 6.0), (1800, 7.9)]))

    assert found == "mismatch"
    assert difference is not None
    assert difference.evse_id == 1
    assert difference.at < NOW + timedelta(seconds=900)
    assert difference.expected_kw == pytest.approx(10.7 * 0.69)
    assert difference.reported_kw == pytest.approx(15.9 * 0.69)


def test_a_local_profile_below_ours_later_on_is_a_mismatch_too():
    found, difference = check(v2_answer([(0, 10.7), (900, 6.0), (1800, 6.0)]))
    assert found == "mismatch"
    assert difference is not None
    assert difference.at > NOW + timedelta(seconds=1800)
    # Beyond the window compared it does not count.
    assert check(v2_answer([(0, 10.7), (900, 6.0), (1800, 6.0)]), window=1800) == ("verified", None)


def test_period_boundaries_a_moment_off_and_rounding_are_not_a_difference():
    # The charge point's clock and whole-second offsets put the boundary half a second late.
    late = NOW - timedelta(seconds=0.4)
    assert check(v2_answer([(0, 10.6), (900, 6.0), (1800, 7.8)], start=late)) == ("verified", None)


def test_what_cannot_be_read_back_is_not_verified():
    installed_here = installed(CAP, TX)
    assert verdict([Check(0, "not_supported", None, installed_here)], 3600) == ("not_verified", None)
    assert verdict([Check(0, "timeout", None, installed_here)], 3600) == ("not_verified", None)
    assert verdict([], 3600) == ("not_verified", None)
    # A 2.1 period without a limit (a setpoint only) or an answer without a schedule cannot be compared.
    no_limit = v2_answer([(0, 10.7)])
    del no_limit["schedule"]["charging_schedule_period"][0]["limit"]
    assert reported_schedule(no_limit, NOW) is None
    assert reported_schedule({"status": "Rejected"}, NOW) is None


def test_the_window_is_the_next_plan_periods_within_the_plan():
    assert window_s(900, 96) == 3600
    assert window_s(5, 2) == 10
    assert window_s(900, 0) == 900

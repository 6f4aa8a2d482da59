"""Plans to OCPP profiles: units, rounding down to 0.1, merged periods, the change filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ems_adapter.domain.profiles import Electrical, significant_change, site_cap_kw, tx_profile

pytestmark = pytest.mark.unit

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_a_tx_profile_merges_equal_slots_and_rounds_down():
    profile = tx_profile(7, "tx-1", START, 900, [11.0, 11.0, 4.1449, 0.0], Electrical(unit="A", phases=3))

    assert (profile.purpose, profile.transaction_ref, profile.unit, profile.duration_s) == ("tx", "tx-1", "A", 3600)
    assert [(p.start_offset_s, p.limit) for p in profile.periods] == [(0, 15.9), (1800, 6.0), (2700, 0.0)]
    assert profile.periods[0].number_phases == 3


def test_watts_need_no_phases():
    profile = tx_profile(1, "tx", START, 900, [7.3999], Electrical(unit="W"))

    assert profile.periods[0].limit == 7399.9
    assert profile.periods[0].number_phases is None


def test_the_fallback_share_is_the_worst_moment_shared_by_every_charge_point():
    assert site_cap_kw(220.0, 200) == 1.1
    assert site_cap_kw(-5.0, 3) == 0.0
    assert site_cap_kw(10.0, 0) == 10.0


def test_only_a_noticeable_change_in_the_next_hour_is_resent():
    electrical = Electrical(unit="A")
    sent = tx_profile(1, "tx", START, 900, [11.0] * 8, electrical)
    later = START + timedelta(minutes=15)

    assert significant_change(None, sent, START)
    assert not significant_change(sent, tx_profile(1, "tx", later, 900, [10.9] * 7, electrical), later)
    assert not significant_change(sent, tx_profile(1, "tx", later, 900, [11.0] * 4 + [0.0] * 3, electrical), later)
    assert significant_change(sent, tx_profile(1, "tx", later, 900, [11.0, 0.0] + [11.0] * 5, electrical), later)

"""The caps' tail (after the plan's horizon) keeps an OSCP fallback capacity below the grid limit.

The tail is what the charge points hold while the backend is away for longer than the plan, so it
must stay within what the DSO allows without a link: the fallback capacity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ems_adapter.domain.capacity import ForecastBlock, Limit, effective_limits, long_term_kw
from ems_adapter.domain.caps import cap_profile, steps, within
from ems_adapter.domain.dispatch import caps_to_send, desired_caps, keep_long_term, site_limit
from ems_adapter.domain.profiles import Electrical
from ems_adapter.domain.site import ActiveSession, Tariff, plan_location
from ems_adapter.use_cases.planning import plan_updated

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TARIFF = Tariff.parse("0:0.2")
GRID_KW = 40.0
UNITS = {"CP1": "A", "CP2": "A", "CP3": "A", "CP4": "A"}
FAR = NOW + timedelta(days=30)


def block(kw: float, hours: float = 2.0, start: datetime = NOW) -> ForecastBlock:
    return ForecastBlock(kw, "KW", "ALL", start, start + timedelta(hours=hours))


def test_no_lower_tail_while_the_provider_limits_nothing():
    at_grid = [block(GRID_KW)]
    assert long_term_kw(NOW, GRID_KW, at_grid, [], provider_offline=False, fallback_kw=12.0) is None
    assert long_term_kw(NOW, GRID_KW, [], [], provider_offline=False, fallback_kw=12.0) is None


def test_the_fallback_capacity_holds_once_the_provider_is_offline():
    assert long_term_kw(NOW, GRID_KW, [], [], provider_offline=True, fallback_kw=12.0) == 12.0
    # A FALLBACK_CONSUMPTION forecast is the provider's own word for it; the lower of both holds.
    assert long_term_kw(NOW, GRID_KW, [], [block(9.0)], provider_offline=True, fallback_kw=12.0) == 9.0
    # Offline without any fallback: nothing lower is known, the plan keeps the grid limit (effective_limits).
    assert long_term_kw(NOW, GRID_KW, [], [], provider_offline=True, fallback_kw=None) is None
    # A fallback above the grid limit cannot raise the connection.
    assert long_term_kw(NOW, GRID_KW, [], [], provider_offline=True, fallback_kw=60.0) == GRID_KW


def test_a_forecast_below_the_grid_limit_puts_the_tail_at_the_fallback_or_else_the_lowest_block():
    forecast = [block(30.0), block(20.0, start=NOW + timedelta(hours=2))]
    assert long_term_kw(NOW, GRID_KW, forecast, [], provider_offline=False, fallback_kw=12.0) == 12.0
    assert long_term_kw(NOW, GRID_KW, forecast, [], provider_offline=False, fallback_kw=None) == 20.0
    # Blocks that ended are history.
    ended = [block(10.0, hours=1.0, start=NOW - timedelta(hours=2))]
    assert long_term_kw(NOW, GRID_KW, ended, [], provider_offline=False, fallback_kw=5.0) is None


def session(sid: str, cp: str) -> ActiveSession:
    return ActiveSession(sid, cp, 1, f"tx-{sid}", NOW, 0.0, 11.0)


def test_offline_fallback_lowers_every_cap_tail_and_the_announced_share():
    fallback_kw = 12.0
    limits = effective_limits(NOW, [], [], provider_offline=True, fallback_kw=fallback_kw)
    located = plan_location(GRID_KW, 4, [session("a", "CP1")], NOW, TARIFF, "UTC", limits=limits)
    assert located.charge_point_cap_kw == GRID_KW / 4  # what the grid limit alone gives

    safe = keep_long_term(located, long_term_kw(NOW, GRID_KW, [], [], provider_offline=True, fallback_kw=12.0), 4)

    assert safe.charge_point_cap_kw == fallback_kw / 4
    assert plan_updated("L", 1, safe).charge_point_cap_kw == fallback_kw / 4
    caps = desired_caps(safe, UNITS)  # type: ignore[arg-type]
    tails = [steps(cap).at(steps(cap).times[-1:] + 1.0)[0] for cap in caps.values()]
    assert sum(tails) <= fallback_kw + 1e-6
    assert tails[0] == pytest.approx(3.0, abs=0.07)  # 3 kW, rounded down to 0.1 A on three phases
    # The site's limit after the horizon is the safe value too, so the sum check enforces it.
    assert site_limit(safe, GRID_KW).at(steps(caps["CP1"]).times[-1:] + 1.0)[0] == fallback_kw


def test_caps_held_with_the_grid_limits_tail_are_lowered_when_the_fallback_takes_over():
    before = plan_location(GRID_KW, 4, [], NOW, TARIFF, "UTC")
    held = {(cp, 0, "charge_point_max"): cap for cp, cap in desired_caps(before, UNITS).items()}  # type: ignore[arg-type]
    assert within([steps(cap) for cap in held.values()], GRID_KW, NOW)

    later = NOW + timedelta(minutes=1)
    limits = [Limit(later - timedelta(days=1), FAR, 12.0)]
    after = keep_long_term(plan_location(GRID_KW, 4, [], later, TARIFF, "UTC", limits=limits), 12.0, 4)
    send = caps_to_send(after, UNITS, held, GRID_KW, later)  # type: ignore[arg-type]

    # Without a plan nothing would raise them; the tails alone (10 kW each) are too much for 12 kW.
    assert set(send) == set(UNITS)
    assert within([steps(cap) for cap in send.values()], 12.0, later)


def test_nothing_changes_without_a_lower_safe_value():
    located = plan_location(GRID_KW, 4, [], NOW, TARIFF, "UTC")
    assert keep_long_term(located, None, 4) is located
    assert keep_long_term(located, 60.0, 4) is located  # above the grid limit's share: nothing to lower
    share = cap_profile(1, NOW, 900, [0.0], located.charge_point_cap_kw, Electrical(unit="W"))
    assert share.periods[-1].limit == GRID_KW / 4 * 1000

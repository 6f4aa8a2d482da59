"""The learned forecast in the service's planning: history to forecast, shortened windows, slot lengths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ems_adapter.domain.forecast import DemandForecast, PastSession, learn
from ems_adapter.domain.history import CompletedSession, history_window, learn_location, past_session
from ems_adapter.domain.model import Plan
from ems_adapter.domain.site import DEFAULT_STAY, ActiveSession, Needs, Tariff, plan_location

pytestmark = pytest.mark.unit

BERLIN = "Europe/Berlin"
TARIFF = Tariff.parse("0:0.18,6:0.28,17:0.40,20:0.28,22:0.18")
MONDAY = date(2026, 1, 5)
NOW = datetime(2026, 1, 19, 16, 0, tzinfo=UTC)  # a Monday, 17:00 in Berlin: the dearest band begins
CHEAP_FROM = 20  # 22:00 local, slots of 15 minutes from NOW


def quiet_site(**stays: float | None) -> list[PastSession]:
    """Two weeks, one car a day at 03:00 local asking 5 kWh for an hour: the evening leaves lots of room."""
    return [PastSession(datetime.combine(MONDAY + timedelta(days=d), datetime.min.time()) + timedelta(hours=3),
                        1.0, 5.0, 11.0, **stays) for d in range(14)]  # fmt: skip


def car(session_id: str, *, energy: float | None = None, leaves_in: timedelta | None = None) -> ActiveSession:
    needs = None
    if energy is not None or leaves_in is not None:
        needs = Needs(requested_energy_kwh=energy, departure_at=None if leaves_in is None else NOW + leaves_in)
    return ActiveSession(session_id, "CP-1", 1, f"tx-{session_id}", NOW, 0.0, 11.0, needs)


def plan(*sessions: ActiveSession, forecast: DemandForecast | None = None, slot_seconds: int = 900) -> Plan:
    located = plan_location(22.0, 2, sessions, NOW, TARIFF, BERLIN, slot_seconds=slot_seconds, forecast=forecast)
    return located.plan


def test_with_history_a_long_stay_charges_in_the_cheap_slots_and_without_it_at_once():
    forecast = learn(quiet_site(), MONDAY, MONDAY + timedelta(days=14))
    long_stay = car("a", energy=10.0, leaves_in=timedelta(hours=12))

    learned, unknown = plan(long_stay, forecast=forecast).row("a"), plan(long_stay).row("a")

    assert learned[:CHEAP_FROM].sum() == 0.0
    assert learned.sum() * 0.25 == pytest.approx(10.0, abs=0.01)
    assert unknown[0] == pytest.approx(11.0)  # work-conserving: the capacity now is not wasted
    assert unknown.sum() * 0.25 == pytest.approx(10.0, abs=0.01)


def test_a_forecast_that_does_not_know_the_day_ahead_keeps_the_plan_work_conserving():
    weekends_only = learn(quiet_site(), MONDAY + timedelta(days=5), MONDAY + timedelta(days=7))
    long_stay = car("a", energy=10.0, leaves_in=timedelta(hours=12))

    assert plan(long_stay, forecast=weekends_only).power_kw.tolist() == plan(long_stay).power_kw.tolist()


def test_a_declared_departure_is_brought_forward_by_how_early_cars_left_theirs():
    # Cars declared 3 h and left after 1 h: finish 2 h (8 slots) before the declared departure.
    forecast = learn(quiet_site(declared_stay_hours=3.0), MONDAY, MONDAY + timedelta(days=14))
    leaves_at_23 = car("a", energy=10.0, leaves_in=timedelta(hours=6))

    row = plan(leaves_at_23, forecast=forecast).row("a")

    assert forecast.early_departure_slots == 8
    assert row[24 - 8 :].sum() == 0.0  # not in the cheap 22:00-23:00, which a car leaving early might miss
    assert row.sum() * 0.25 == pytest.approx(10.0, abs=0.01)
    assert row[12:16].sum() > 0.0  # 21:00-22:00, the cheapest slots left inside the shortened window


def test_a_default_departure_is_brought_forward_by_how_early_cars_without_one_left_it():
    # Cars that declared nothing stayed 2 h of the assumed 8 h: no deferring for hours on the guess.
    assumed = DEFAULT_STAY / timedelta(hours=1)
    short_stops = [PastSession(s.arrival, 2.0, s.energy_kwh, s.max_power_kw, assumed_stay_hours=assumed)
                   for s in quiet_site()]  # fmt: skip
    forecast = learn(short_stops, MONDAY, MONDAY + timedelta(days=14))
    unknown_car = car("b")  # 20 kWh by default, departure 8 h after the start

    row = plan(unknown_car, forecast=forecast).row("b")

    assert forecast.early_default_slots == 24
    assert row[8:].sum() == 0.0
    assert row.sum() * 0.25 == pytest.approx(20.0, abs=0.01)


def test_a_window_is_never_shortened_below_one_slot():
    forecast = learn(quiet_site(declared_stay_hours=3.0), MONDAY, MONDAY + timedelta(days=14))
    leaving_soon = car("a", energy=10.0, leaves_in=timedelta(minutes=45))

    row = plan(leaving_soon, forecast=forecast).row("a")

    assert row[0] == pytest.approx(11.0)
    assert row[1:].sum() == 0.0


def test_the_forecast_must_be_on_the_plans_slots():
    forecast = learn(quiet_site(), MONDAY, MONDAY + timedelta(days=14))

    with pytest.raises(ValueError, match="900 s for a plan on 300 s"):
        plan(car("a", energy=10.0), forecast=forecast, slot_seconds=300)


def test_it_learns_on_any_slot_length_that_divides_a_day():
    per_15, per_5 = (learn(quiet_site(), MONDAY, MONDAY + timedelta(days=14), slot_seconds=s) for s in (900, 300))
    seconds = learn(quiet_site(), MONDAY, MONDAY + timedelta(days=14), slot_seconds=5)

    assert per_5.slots_per_day == 288
    assert seconds.slots_per_day == 17_280
    for forecast in (per_15, per_5, seconds):
        assert forecast.arriving_kwh(False).sum() == pytest.approx(5.0)  # kWh per average weekday
    # Smoothed over the same 30 minutes either side of 03:00, whatever the slot.
    assert per_5.arriving_kwh(False)[30:43].sum() == pytest.approx(5.0)  # 02:30-03:30
    assert np.flatnonzero(seconds.arriving_kwh(False))[[0, -1]].tolist() == [(3 * 3600 - 1800) // 5,
                                                                              (3 * 3600 + 1800) // 5]  # fmt: skip
    with pytest.raises(ValueError, match="divide a day"):
        learn([], MONDAY, MONDAY, slot_seconds=7 * 3600)


def test_a_plan_on_5_second_slots_takes_a_forecast_learned_on_them():
    forecast = learn(quiet_site(), MONDAY, MONDAY + timedelta(days=14), slot_seconds=5)

    row = plan(car("a", energy=0.05, leaves_in=timedelta(minutes=5)), forecast=forecast, slot_seconds=5).row("a")

    assert row.sum() * 5 / 3600 == pytest.approx(0.05, abs=1e-3)


def test_history_begins_the_day_after_the_first_session_needs_a_week_and_zero_days_disable_it():
    today = date(2026, 2, 2)

    assert history_window(today, 28, date(2025, 12, 1)) == (date(2026, 1, 5), today)
    assert history_window(today, 28, date(2026, 1, 20)) == (date(2026, 1, 21), today)  # a new location
    assert history_window(today, 28, date(2026, 1, 25)) == (date(2026, 1, 26), today)  # a full week
    assert history_window(today, 28, date(2026, 1, 26)) is None  # six days: not every weekday seen yet
    assert history_window(today, 3, date(2025, 12, 1)) == (date(2026, 1, 30), today)  # the operator asked for 3
    assert history_window(today, 28, None) is None
    assert history_window(today, 0, date(2025, 12, 1)) is None


def test_a_completed_session_is_learned_in_local_time_with_what_the_ev_said_where_it_did():
    zone = ZoneInfo(BERLIN)
    started = datetime(2026, 1, 5, 6, 30, tzinfo=UTC)
    ev = CompletedSession(started, started + timedelta(hours=7), 8.0, 22.0, 30.0, started + timedelta(hours=9), 7.4)
    plain = CompletedSession(started, started + timedelta(hours=2), 12.5, None)

    said, unsaid = past_session(ev, zone), past_session(plain, zone)

    assert said.arrival == datetime(2026, 1, 5, 7, 30)  # naive local wall-clock time
    assert (said.stay_hours, said.energy_kwh, said.max_power_kw) == (7.0, 30.0, 7.4)  # what it asked for
    assert (said.declared_stay_hours, said.assumed_stay_hours) == (9.0, None)
    assert (unsaid.energy_kwh, unsaid.max_power_kw) == (12.5, 11.0)  # delivered; the default connector
    assert (unsaid.declared_stay_hours, unsaid.assumed_stay_hours) == (None, 8.0)


def test_a_location_is_learned_from_its_full_days_only():
    started = [datetime(2026, 1, 5, 6, 30, tzinfo=UTC) + timedelta(days=d) for d in range(14)]
    history = [CompletedSession(s, s + timedelta(hours=9), 10.0, 11.0) for s in started]

    forecast = learn_location(history, started[0], BERLIN, date(2026, 1, 19), history_days=28, slot_seconds=900)
    nothing = learn_location([], None, BERLIN, date(2026, 1, 19), history_days=28, slot_seconds=900)
    disabled = learn_location(history, started[0], BERLIN, date(2026, 1, 19), history_days=0, slot_seconds=900)

    assert nothing is None
    assert disabled is None
    assert forecast is not None
    assert forecast.days == (9, 4)  # from Tuesday the 6th: the first day was only partly recorded
    assert forecast.arriving_kwh(False).sum() == pytest.approx(10.0)
    assert forecast.arriving_kwh(False)[28:33].sum() == pytest.approx(10.0)  # around 07:30 local

"""PARK: smart charging on a 200-charge-point office site, every algorithm through one scorer.

Part of ``make bench``. Each algorithm runs online, slot by slot (15 min): it sees the cars
present, their remaining energy and their *declared* departures (noisy), and sets a power per car
for the slot; the scorer then applies what each car really drew. The ladeplan optimiser replans
every slot (so on every arrival, departure and at least every 15 minutes). The offline optimum
knows every session and the true departures in advance: the LP relaxation is a bound. The rows
"+ forecast" plan with a demand forecast learned from a week of history (``park_forecast``).

``PARK_DAYS`` (default 2; the full run is 7) sets the simulated days; ``PARK_SCALES`` (default
"100,1000,10000") the vehicle counts of the replanning-time table. The "ACN" rows are ACN-Sim's
algorithms (``park_acn``, ``PARK_ACN``), present when the ``bench`` group is installed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

import numpy as np

from benchmarks.park_forecast import Forecaster, history
from benchmarks.park_site import CHARGE_POINTS, SLOT_HOURS, Site, build
from benchmarks.park_site import Session as ParkSession
from ems_adapter.domain.baselines import BASELINES, Allocation, SlotState
from ems_adapter.domain.caps import next_batch
from ems_adapter.domain.dispatch import Held, cap_electrical, profiles_to_send, site_limit
from ems_adapter.domain.model import FloatArray, Plan, SiteProblem, VehicleDemand
from ems_adapter.domain.online import replan
from ems_adapter.domain.optimiser import Units, solve_units
from ems_adapter.domain.profiles import Electrical, Unit, significant_change, site_cap_kw, tx_profile
from ems_adapter.domain.site import ActiveSession, LocationPlan, SessionDemand
from ladeplan_contracts.commands import ChargingProfile

MAX_HORIZON = 3 * 96
ELECTRICAL = Electrical(unit="A", phases=3)
EPOCH = np.datetime64("2026-01-05T00:00", "s").astype("datetime64[s]").item()


@dataclass
class Score:
    name: str
    energy_kwh: float
    requested_kwh: float
    cost_eur: float
    peak_kw: float
    violations: int
    jain: float
    messages_per_vehicle_hour: float  # TxProfiles
    replan_p95_s: float | None
    caps_per_vehicle_hour: float | None = None  # charge-point caps; None: the algorithm makes no plan to cap by


Planner = Callable[[Site, int, list[int], FloatArray, dict[str, FloatArray]], tuple[FloatArray, FloatArray | None]]


def _ladeplan(
    site: Site,
    now: int,
    present: list[int],
    remaining: FloatArray,
    previous: dict[str, FloatArray],
    forecast: Forecaster | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """One replan on the slots ahead; returns the setpoints for ``now`` and the whole plan."""
    sessions = [site.sessions[index] for index in present]
    horizon = min(MAX_HORIZON, site.slots - now, max(*(s.declared - now for s in sessions), 1))
    # With a forecast, aim to finish as much before the declared departure as cars left early in history.
    early = 0 if forecast is None else forecast.early_departure_slots(now)
    problem = SiteProblem(
        slot_hours=SLOT_HOURS,
        capacity_kw=site.capacity_kw[now : now + horizon],
        price_eur_per_kwh=site.price[now : now + horizon],
        base_load_kw=site.base_kw[now : now + horizon],
        vehicles=[
            VehicleDemand(
                s.id, 0, max(s.declared - early - now, 1), float(remaining[i]), s.max_power_kw, s.min_power_kw
            )
            for s, i in zip(sessions, present, strict=True)
        ],
        previous_kw={key: row[1 : horizon + 1] for key, row in previous.items() if len(row) > horizon},
    )
    plan = replan(problem, expected=None if forecast is None else forecast.expected(now, horizon))
    return plan.power_kw[:, 0], plan.power_kw


def _baseline(allocation: Allocation) -> Planner:
    def plan(
        site: Site, now: int, present: list[int], remaining: FloatArray, previous: dict[str, FloatArray]
    ) -> tuple[FloatArray, FloatArray | None]:
        del previous
        states = [
            SlotState(float(remaining[i]), max(site.sessions[i].declared - now, 1), site.sessions[i].max_power_kw,
                      site.sessions[i].min_power_kw)
            for i in present
        ]  # fmt: skip
        return allocation(states, float(site.capacity_kw[now]), SLOT_HOURS), None

    return plan


class Dispatch:
    """What the service would send for each replan: ``dispatch.profiles_to_send`` and the caps' safe rollout.

    Every charge point accepts at once (the simulation has no network), so a cap is held as soon as
    it is sent; intermediate caps of a rollout (``next_batch``'s lower envelopes) count as messages too.
    """

    def __init__(self, site: Site) -> None:
        # After the horizon the caps fall to an equal share of the worst spare capacity of the run,
        # which the shares then keep together (the service uses its grid limit; PARK has a base load).
        self.after_kw = float(site.capacity_kw.min())
        self.share_kw = site_cap_kw(self.after_kw, CHARGE_POINTS)
        self.units: dict[str, Unit] = {f"cp{n}": "A" for n in range(CHARGE_POINTS)}
        self.held: dict[tuple[str, int, str], ChargingProfile] = {}
        self.tx_messages = 0
        self.cap_messages = 0

    def send(self, site: Site, now: int, moment: datetime, present: list[ParkSession], plan: FloatArray) -> None:
        located = _located(site, now, moment, present, plan, self.share_kw)
        held: Held = self.held
        ids = {session.id: 1 for session in present}
        outgoing = profiles_to_send(located, self.units, ids, held, self.after_kw, moment)
        for item in outgoing:
            if item.evse_id != 0:
                self.held[(item.charge_point_id, item.evse_id, "tx")] = item.profile
                self.tx_messages += 1
        pending = {item.charge_point_id: item.profile for item in outgoing if item.evse_id == 0}
        holding = {cp: self.held.get((cp, 0, "charge_point_max")) for cp in self.units}
        electrical = cap_electrical(located, self.units)
        limit = site_limit(located, self.after_kw)
        while pending:
            batch = next_batch(holding, pending, electrical, limit, located.charge_point_cap_kw, moment)
            if not batch:
                break  # the service defers these to the next replan, as here
            for step in batch:
                holding[step.charge_point_id] = self.held[(step.charge_point_id, 0, "charge_point_max")] = step.profile
                self.cap_messages += 1
                if step.final:
                    del pending[step.charge_point_id]


def _located(
    site: Site, now: int, moment: datetime, present: list[ParkSession], plan: FloatArray, share_kw: float
) -> LocationPlan:
    """The replan as the service holds it: each car a session on its charge point (``cp<n>-...``), EVSE 1."""
    plan = plan[:, : site.slots - now]  # a plan may reach past the simulated days (ACN's adapter), the site not
    horizon = plan.shape[1]
    demands = []
    for session in present:
        active = ActiveSession(
            session_id=session.id, charge_point_id=session.id.split("-")[0], evse_id=1, transaction_ref=session.id,
            started_at=moment, delivered_kwh=0.0, connector_max_kw=session.max_power_kw,
        )  # fmt: skip
        phases = round(session.min_power_kw / (6 * 0.23))  # the minimum is 6 A on each of its phases
        demands.append(
            SessionDemand(active, 0.0, moment + timedelta(minutes=15 * max(session.declared - now, 1)),
                          session.max_power_kw, session.min_power_kw, phases, "ev")
        )  # fmt: skip
    return LocationPlan(
        start=moment, slot_seconds=900, capacity_kw=site.capacity_kw[now : now + horizon],
        price_eur_per_kwh=site.price[now : now + horizon], demands=tuple(demands),
        plan=Plan(tuple(s.id for s in present), plan, SLOT_HOURS), charge_point_cap_kw=share_kw,
    )  # fmt: skip


def simulate(name: str, site: Site, planner: Planner) -> Score:
    """Run ``planner`` slot by slot; a planner that returns a whole plan has it sent as the service would
    (TxProfiles and caps through ``Dispatch``), one that returns setpoints only gets a one-slot TxProfile
    per car through the same change filter (no caps: it has no plan to cap by)."""
    sessions = site.sessions
    remaining = np.array([s.energy_kwh for s in sessions])
    ev_kw = np.zeros(site.slots)
    sent: dict[str, ChargingProfile] = {}
    previous: dict[str, FloatArray] = {}
    dispatch = Dispatch(site)
    messages, replans, planned = 0, [], False
    by_arrival = sorted(range(len(sessions)), key=lambda i: sessions[i].arrival)
    present: list[int] = []
    cursor = 0
    for now in range(site.slots):
        present = [i for i in present if sessions[i].departure > now]
        while cursor < len(by_arrival) and sessions[by_arrival[cursor]].arrival <= now:
            present.append(by_arrival[cursor])
            cursor += 1
        if not present:
            continue
        started = time.perf_counter()
        setpoints, plan = planner(site, now, present, remaining, previous)
        replans.append(time.perf_counter() - started)
        moment = EPOCH + np.timedelta64(now * 15, "m").astype(object)
        if plan is not None:
            planned = True
            dispatch.send(site, now, moment, [sessions[i] for i in present], plan)
        for row, index in enumerate(present):
            session = sessions[index]
            power = float(min(setpoints[row], remaining[index] / SLOT_HOURS))
            remaining[index] -= power * SLOT_HOURS
            ev_kw[now] += power
            if plan is not None:
                previous[session.id] = plan[row]
                continue
            profile = tx_profile(1, session.id, moment, 900, [float(setpoints[row])], ELECTRICAL)
            if significant_change(sent.get(session.id), profile, moment):
                sent[session.id] = profile
                messages += 1
    delivered = np.array([s.energy_kwh for s in sessions]) - remaining
    requested = np.array([s.energy_kwh for s in sessions])
    served = np.where(requested > 0, delivered / np.maximum(requested, 1e-9), 1.0)
    hours = sum((min(s.departure, site.slots) - s.arrival) * SLOT_HOURS for s in sessions)
    load = site.base_kw + ev_kw
    return Score(
        name=name,
        energy_kwh=float(delivered.sum()),
        requested_kwh=float(requested.sum()),
        cost_eur=float(ev_kw @ site.price * SLOT_HOURS),
        peak_kw=float(load.max()),
        violations=int(np.sum(ev_kw > site.capacity_kw + 1e-6)),
        jain=float(served.sum() ** 2 / (len(served) * (served**2).sum())),
        messages_per_vehicle_hour=(messages + dispatch.tx_messages) / hours,
        replan_p95_s=float(np.percentile(replans, 95)) if name.startswith("ladeplan") and replans else None,
        caps_per_vehicle_hour=dispatch.cap_messages / hours if planned else None,
    )


def offline(site: Site) -> Score:
    """The LP bound with every session and true departure known: most energy, then least cost."""
    sessions = site.sessions
    units = Units(
        hours=np.full(site.slots, SLOT_HOURS), capacity_kw=site.capacity_kw, base_kw=site.base_kw, price=site.price,
        first=np.array([s.arrival for s in sessions], dtype=np.int64),
        end=np.array([min(s.departure, site.slots) for s in sessions], dtype=np.int64),
        energy_kwh=np.array([s.energy_kwh for s in sessions]), max_kw=np.array([s.max_power_kw for s in sessions]),
    )  # fmt: skip
    power = solve_units(units, time_limit_s=600)
    delivered = power.sum(axis=1) * SLOT_HOURS
    served = delivered / np.maximum(units.energy_kwh, 1e-9)
    ev_kw = power.sum(axis=0)
    return Score("offline optimum (LP bound)", float(delivered.sum()), float(units.energy_kwh.sum()),
                 float(ev_kw @ site.price * SLOT_HOURS), float((site.base_kw + ev_kw).max()),
                 int(np.sum(ev_kw > site.capacity_kw + 1e-6)),
                 float(served.sum() ** 2 / (len(served) * (served**2).sum())), 0.0, None)  # fmt: skip


def replan_times(scales: list[int], repeats: int = 5) -> list[tuple[int, float, float, float | None]]:
    """p95 seconds of one replan with ``n`` cars present on a site scaled to match, without and with forecast.

    The last column is ACN's adaptive algorithm on the same cars (``None``: not run, see ``park_acn``).
    """
    from benchmarks import park_acn

    rows = []
    for n in scales:
        scale = max(1, round(n / 150))
        site = build(days=2, seed=11, scale=scale)
        now = 96 + 40  # a weekday at 10:00, the office busy
        candidates = [i for i, s in enumerate(site.sessions) if s.arrival <= now < s.departure]
        pool = (candidates * (n // max(len(candidates), 1) + 1))[:n]
        site = replace(site, sessions=[replace(site.sessions[i], id=f"v{k}") for k, i in enumerate(pool)])
        remaining = np.array([s.energy_kwh for s in site.sessions])
        forecaster = Forecaster(site, history(scale), update=False)
        p95 = []
        for forecast in (None, forecaster):
            times = []
            for _ in range(repeats if n < 10_000 else 3):
                started = time.perf_counter()
                _ladeplan(site, now, list(range(len(site.sessions))), remaining, {}, forecast)
                times.append(time.perf_counter() - started)
            p95.append(float(np.percentile(times, 95)))
        rows.append((n, p95[0], p95[1], park_acn.adaptive_replan_time(site, now)))
    return rows


def run() -> tuple[list[Score], list[tuple[int, float, float, float | None]], int]:
    from benchmarks import park_acn

    days = int(os.environ.get("PARK_DAYS", "2"))
    scales = [int(n) for n in os.environ.get("PARK_SCALES", "100,1000,10000").split(",") if n]
    noisy = build(days)
    exact = replace(noisy, sessions=[replace(s, declared=s.departure) for s in noisy.sessions])
    scores = [offline(exact)]
    scores.append(simulate("ladeplan optimiser, exact departures", exact, _ladeplan))
    scores.append(simulate("ladeplan optimiser, noisy departures", noisy, _ladeplan))
    for label, site in (("exact", exact), ("noisy", noisy)):
        planner = partial(_ladeplan, forecast=Forecaster(site, history(exact=label == "exact")))
        scores.append(simulate(f"ladeplan optimiser + forecast, {label} departures", site, planner))
    scores += [simulate(f"{name}, noisy departures", noisy, _baseline(rule)) for name, rule in BASELINES.items()]
    scores += park_acn.scores(noisy)
    return scores, replan_times(scales), days


def _cost_verdict(row: Score, baselines: list[Score]) -> str:
    """Whether ``row`` is cheaper per kWh than each baseline while delivering at least its energy."""
    rate = row.cost_eur / max(row.energy_kwh, 1e-9)
    won: list[tuple[float, float]] = []
    lost = []
    for base in baselines:
        cheaper = rate / (base.cost_eur / max(base.energy_kwh, 1e-9)) - 1
        energy = row.energy_kwh / max(base.energy_kwh, 1e-9) - 1
        if cheaper < 0 and energy >= -1e-9:
            won.append((cheaper, energy))
            continue
        why = f", breaking the limit in {base.violations} slots" if base.violations else ""
        name = base.name.removesuffix(", noisy departures")
        lost.append(f"{name} (EUR/kWh {cheaper:+.1%}, energy {energy:+.2%}{why})")
    line = f"  {row.name}: yes vs {len(won)} of {len(baselines)}"
    if won:
        line += f" (EUR/kWh {max(w[0] for w in won):+.1%} or less, energy {min(w[1] for w in won):+.2%} or more)"
    return line + (f"; no vs {', '.join(lost)}" if lost else "")


def table(result: tuple[list[Score], list[tuple[int, float, float, float | None]], int]) -> str:
    scores, times, days = result
    bound = scores[0]
    per_kwh = bound.cost_eur / bound.energy_kwh
    lines = [
        f"PARK: 200 charge points, 400 kW with office base load, {days} days, {bound.requested_kwh:,.0f} kWh requested",
        f"{'algorithm':<48} {'energy':>8} {'viol':>5} {'EUR':>8} {'EUR/kWh':>8} {'vs min':>7} {'peak kW':>8}"
        f" {'Jain':>6} {'TxP/veh-h':>9} {'cap/veh-h':>9} {'p95 s':>6}",
    ]
    for s in scores:
        rate = s.cost_eur / max(s.energy_kwh, 1e-9)
        p95 = f"{s.replan_p95_s:.3f}" if s.replan_p95_s is not None else "-"
        caps = f"{s.caps_per_vehicle_hour:.2f}" if s.caps_per_vehicle_hour is not None else "-"
        lines.append(
            f"{s.name:<48} {s.energy_kwh / bound.energy_kwh:>7.2%} {s.violations:>5} {s.cost_eur:>8,.0f} {rate:>8.4f}"
            f" {rate / per_kwh - 1:>+7.2%} {s.peak_kw:>8.1f} {s.jain:>6.3f}"
            f" {s.messages_per_vehicle_hour:>9.2f} {caps:>9} {p95:>6}"
        )
    baselines = [s for s in scores if not s.name.startswith(("ladeplan", "offline"))]
    lines.append("cheaper per kWh than the baseline while delivering at least its energy?")
    lines += [_cost_verdict(s, baselines) for s in scores if s.name.startswith("ladeplan")]
    if times:
        lines.append("replanning time (one replan, p95): ladeplan optimiser without / with forecast; ACN adaptive QC")
        lines += [
            f"  {n:>6,} vehicles  {plain:.3f} s / {forecast:.3f} s; " + ("-" if acn is None else f"{acn:.3f} s")
            for n, plain, forecast, acn in times
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))

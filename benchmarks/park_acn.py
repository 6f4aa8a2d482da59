"""ACN-Sim's scheduling algorithms on PARK's sessions, through PARK's online loop and scorer.

The algorithms are Caltech's, from ``acnportal`` 0.3.3 on PyPI (the ``bench`` dependency group,
installed by ``make bench`` only): ``SortedSchedulingAlgo`` with earliest deadline first and least
laxity first, ``RoundRobin`` (first come first served order, 1 A steps, as in the ACN-Sim paper's
case study) and ``UncontrolledCharging``. ACN's adaptive (model predictive) algorithm is not in
acnportal's PyPI release: it lives in Caltech's ``adacharge`` repository, which is not on PyPI.
``AdaptiveQuickCharge`` is therefore our cvxpy formulation of the objective the ACN papers use for
it ("quick charge" plus a 1e-12 "equal share" regulariser, ACN's minimum-charge preprocessing,
replanned every slot), written from the papers' formulas: its numbers and its timing are this
formulation's (cvxpy + Clarabel), not adacharge's.

Each slot, ``ParkInterface`` shows an algorithm what acnportal's ``Interface`` would: the cars
present as ``SessionInfo`` (arrival, the *declared* departure as for our baselines, requested and
delivered energy, min/max rates), one station per car, and one aggregate constraint whose limit is
the site's spare capacity in that slot (the connection minus the office base load, so it changes
from slot to slot). The algorithm's ``run()`` returns pilots; the slot-0 pilot of each car is its
setpoint in PARK's loop (``park.simulate``), scored like every other row.

Units, so that kW limits match exactly: a pilot is the car's current summed over its phases at
230 V (a three-phase car at 16 A per phase has a 48 A pilot), so every station has ``voltage`` 230,
phase angle 0 and ``kW = A x 0.23``; the constraint row is all ones with limit ``spare kW / 0.23``.
ACN's own sites use one voltage (208 V) for every station in the same way, so its objectives,
which add up amps, weigh every kW alike. Stations are J1772 deadband EVSEs: ``min_pilot`` is the
car's minimum (6 A per phase), allowed pilots are 0 or ``[min, max]``. A pilot inside the deadband
draws nothing, as a real car would (ACN-Sim's ``DeadbandEVSE`` rejects it); a slot total above the
limit by no more than ACN's own feasibility tolerance (``max(1e-5 A, 1e-7 x limit)``) is scaled to
the limit. Anything else is applied as returned and scored.

``PARK_ACN``: ``all`` (default) runs every row; ``sorted`` leaves out the adaptive algorithm (its
replanning-time column too); ``0`` runs none. Without acnportal installed the rows are left out.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from benchmarks.park import MAX_HORIZON, Planner, Score, simulate
from benchmarks.park_site import SLOT_HOURS, Site
from ems_adapter.domain.model import FloatArray

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # acnportal 0.3.3 imports pkg_resources, deprecated by setuptools
        import acnportal.algorithms as acn
        from acnportal.acnsim.interface import Constraint, InfrastructureInfo, SessionInfo
    import cvxpy as cp

    AVAILABLE = True
except ImportError:  # the `bench` group is not installed (`make test`, CI)
    AVAILABLE = False

VOLTS = 230.0
KW_PER_AMP = VOLTS / 1000
PERIOD_MINUTES = SLOT_HOURS * 60
EQUAL_SHARE_WEIGHT = 1e-12  # the ACN papers' regulariser weight
DEADBAND_ATOL = 1e-3  # A, ACN-Sim's DeadbandEVSE tolerance
ADAPTIVE_MAX_SCALE = 1_000  # larger replanning-time sizes take minutes per solve (see the docs)


@dataclass(frozen=True)
class SlotView:
    """What an ACN algorithm may know at the start of slot ``now``: the cars present, in amps."""

    now: int
    ids: list[str]
    arrival: list[int]
    departure: list[int]  # declared, at least one slot ahead
    requested_kwh: FloatArray
    delivered_kwh: FloatArray
    max_a: FloatArray
    min_a: FloatArray
    capacity_a: FloatArray  # per slot from ``now``, as far as the site's data goes
    price: FloatArray


def slot_view(site: Site, now: int, present: Sequence[int], remaining: FloatArray) -> SlotView:
    sessions = [site.sessions[index] for index in present]
    requested = np.array([s.energy_kwh for s in sessions], dtype=np.float64)
    return SlotView(
        now=now,
        ids=[s.id for s in sessions],
        arrival=[s.arrival for s in sessions],
        departure=[max(s.declared, now + 1) for s in sessions],
        requested_kwh=requested,
        delivered_kwh=requested - remaining[list(present)],
        max_a=np.array([s.max_power_kw / KW_PER_AMP for s in sessions]),
        min_a=np.array([s.min_power_kw / KW_PER_AMP for s in sessions]),
        capacity_a=np.maximum(site.capacity_kw[now:], 0.0) / KW_PER_AMP,
        price=site.price[now:],
    )


def feasibility_tolerance_a(limit_a: float) -> float:
    """ACN's tolerance on a constraint: the larger of 1e-5 A and 1e-7 of the limit."""
    return max(1e-5, 1e-7 * limit_a)


def setpoints_kw(pilots_a: FloatArray, min_a: FloatArray, limit_a: float) -> tuple[FloatArray, int]:
    """Slot-0 pilots as the cars draw them (kW), and how many fell into the deadband (see module doc)."""
    pilots = np.maximum(np.asarray(pilots_a, dtype=np.float64), 0.0)
    deadband = (pilots > DEADBAND_ATOL) & (pilots < min_a - DEADBAND_ATOL)
    pilots = np.where(deadband, 0.0, pilots)
    total = float(pilots.sum())
    if limit_a < total <= limit_a + feasibility_tolerance_a(limit_a):
        pilots = pilots * (limit_a / total)
    return np.asarray(pilots * KW_PER_AMP, dtype=np.float64), int(deadband.sum())


class ParkInterface:
    """The part of acnportal's ``Interface`` that its algorithms call, for one PARK slot (module doc)."""

    def __init__(self, view: SlotView) -> None:
        self.view = view
        self._index = {station: k for k, station in enumerate(view.ids)}

    @property
    def current_time(self) -> int:
        return self.view.now

    @property
    def period(self) -> float:
        return PERIOD_MINUTES

    @property
    def max_recompute_time(self) -> int:
        return 1

    def active_sessions(self) -> list[Any]:
        """Fresh ``SessionInfo`` objects (the algorithms modify their rates)."""
        v = self.view
        return [
            SessionInfo(station, station, float(v.requested_kwh[k]), float(v.delivered_kwh[k]), v.arrival[k],
                        v.departure[k], v.departure[k], v.now, 0.0, float(v.max_a[k]))
            for k, station in enumerate(v.ids)
        ]  # fmt: skip

    def infrastructure_info(self) -> Any:
        v = self.view
        n = len(v.ids)
        return InfrastructureInfo(
            np.ones((1, n)), np.array([self.limit_a()]), np.zeros(n), np.full(n, VOLTS), ["site"], list(v.ids),
            v.max_a.copy(), v.min_a.copy(), [np.array([v.min_a[k], v.max_a[k]]) for k in range(n)], np.ones(n, bool),
        )  # fmt: skip

    def limit_a(self) -> float:
        return float(self.view.capacity_a[0])

    def capacity_profile_a(self, length: int) -> FloatArray:
        """The limit of each slot ahead (the base load is known ahead, as for ladeplan's optimiser).

        Not in acnportal's ``Interface``; adacharge takes the same as its ``peak_limit`` argument.
        """
        profile = self.view.capacity_a[:length]
        return np.concatenate([profile, np.full(length - len(profile), profile[-1])])

    def get_constraints(self) -> Any:
        info = self.infrastructure_info()
        return Constraint(info.constraint_matrix, info.constraint_limits, info.constraint_ids, info.station_ids)

    def _station(self, station_id: str) -> int:
        return self._index[station_id]

    def max_pilot_signal(self, station_id: str) -> float:
        return float(self.view.max_a[self._station(station_id)])

    def min_pilot_signal(self, station_id: str) -> float:
        return float(self.view.min_a[self._station(station_id)])

    def allowable_pilot_signals(self, station_id: str) -> tuple[bool, list[float]]:
        return True, [self.min_pilot_signal(station_id), self.max_pilot_signal(station_id)]

    def evse_voltage(self, station_id: str) -> float:
        del station_id
        return VOLTS

    def evse_phase(self, station_id: str) -> float:
        del station_id
        return 0.0

    def remaining_amp_periods(self, session: Any) -> float:
        return float(session.remaining_demand) * 1000 / VOLTS * 60 / self.period

    def is_feasible(
        self,
        load_currents: dict[str, list[float]],
        linear: bool = False,
        violation_tolerance: float | None = None,
        relative_tolerance: float | None = None,
    ) -> bool:
        """Whether schedules (A per station and slot from now) keep every slot's limit."""
        del linear  # one constraint with phase angle 0: the linear and exact forms agree
        if not load_currents:
            return True
        total = np.sum([np.asarray(rates, dtype=np.float64) for rates in load_currents.values()], axis=0)
        limits = self.capacity_profile_a(len(total))
        tolerance = np.maximum(
            1e-5 if violation_tolerance is None else violation_tolerance,
            (1e-7 if relative_tolerance is None else relative_tolerance) * limits,
        )
        return bool(np.all(total <= limits + tolerance))

    def get_prices(self, length: int, start: int | None = None) -> FloatArray:
        offset = 0 if start is None else start - self.view.now
        prices = self.view.price[offset : offset + length]
        return np.concatenate([prices, np.full(length - len(prices), prices[-1])])


class AdaptiveQuickCharge:
    """ACN's adaptive scheduling objective, replanned every slot: our cvxpy formulation (module doc).

    Maximise ``sum_t (T - t) / T * sum_i r[i, t] - 1e-12 * sum r**2`` over pilots ``r`` (A) for the
    cars present and the slots to the latest declared departure (at most PARK's horizon), subject
    to ``min <= r <= max`` inside each car's window (0 outside), each car's pilots delivering at
    most its remaining energy, and every slot's sum within that slot's limit. ACN's preprocessing
    runs first: finished sessions dropped, pilots capped at the station's maximum and, with
    ``minimum_charge``, the minimum pilot for slot 0 granted in order of remaining time while the
    limit allows (others get 0 in slot 0), so slot 0 respects the deadband.
    """

    def __init__(self, *, minimum_charge: bool = True, max_horizon: int = MAX_HORIZON) -> None:
        self.minimum_charge = minimum_charge
        self.max_horizon = max_horizon
        self.max_recompute = 1
        self.solve_stats: list[dict[str, float]] = []
        self._interface: ParkInterface | None = None

    @property
    def interface(self) -> ParkInterface:
        if self._interface is None:
            raise ValueError("no interface registered")
        return self._interface

    def register_interface(self, interface: ParkInterface) -> None:
        self._interface = interface

    def run(self) -> dict[str, FloatArray]:
        sessions = self.interface.active_sessions()
        started = time.perf_counter()
        schedule = self.schedule(sessions)
        self.solve_stats.append({"solve_time": time.perf_counter() - started, "active_sessions": len(sessions)})
        return schedule

    def schedule(self, active_sessions: list[Any]) -> dict[str, FloatArray]:
        interface = self.interface
        infrastructure = interface.infrastructure_info()
        sessions = acn.preprocessing.remove_finished_sessions(active_sessions, infrastructure, interface.period)
        sessions = acn.preprocessing.enforce_pilot_limit(sessions, infrastructure)
        if self.minimum_charge:
            sessions = acn.preprocessing.apply_minimum_charging_rate(sessions, infrastructure, interface.period)
        if not sessions:
            return {}
        horizon = min(self.max_horizon, max(int(s.remaining_time) for s in sessions))
        lower, upper = np.zeros((len(sessions), horizon)), np.zeros((len(sessions), horizon))
        for k, session in enumerate(sessions):
            window = min(int(session.remaining_time), horizon)
            lower[k, :window] = session.min_rates[:window]
            upper[k, :window] = session.max_rates[:window]
        upper = np.maximum(upper, lower)
        energy = np.array([interface.remaining_amp_periods(s) for s in sessions])
        limits = interface.capacity_profile_a(horizon)
        rates = cp.Variable((len(sessions), horizon))
        quick_charge = ((horizon - np.arange(horizon)) / horizon) @ cp.sum(rates, axis=0)
        equal_share = -cp.sum_squares(rates)
        problem = cp.Problem(
            cp.Maximize(quick_charge + EQUAL_SHARE_WEIGHT * equal_share),
            [rates >= lower, rates <= upper, cp.sum(rates, axis=1) <= energy, cp.sum(rates, axis=0) <= limits],
        )
        problem.solve(solver=cp.CLARABEL)
        if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            raise RuntimeError(f"adaptive scheduling: cvxpy ended {problem.status}")
        pilots = np.clip(np.asarray(rates.value, dtype=np.float64), 0.0, upper)
        return {session.station_id: pilots[k] for k, session in enumerate(sessions)}


def _algorithms(adaptive: bool) -> dict[str, Callable[[], Any]]:
    rows: dict[str, Callable[[], Any]] = {
        "ACN-Sim uncontrolled": acn.UncontrolledCharging,
        "ACN-Sim EDF": lambda: acn.SortedSchedulingAlgo(acn.earliest_deadline_first),
        "ACN-Sim LLF": lambda: acn.SortedSchedulingAlgo(acn.least_laxity_first),
        # Round robin raises every car from 0 in 1 A steps, so without ACN's minimum-pilot option almost every
        # pilot would end in the deadband; with it each car starts at its minimum (or 0 if that does not fit).
        "ACN-Sim round robin": lambda: acn.RoundRobin(
            acn.first_come_first_served, continuous_inc=1, uninterrupted_charging=True
        ),
    }
    if adaptive:
        rows["ACN adaptive QC (cvxpy)"] = AdaptiveQuickCharge
    return rows


deadband_counts: dict[str, int] = {}  # per row of the last ``scores``: slot-0 pilots that fell into the deadband


@dataclass
class _Counters:
    replans: list[float]
    deadband: int = 0


def planner(algorithm: Any, counters: _Counters) -> Planner:
    """PARK's planner signature around one ACN algorithm instance (it keeps its state across slots)."""

    def plan(
        site: Site, now: int, present: list[int], remaining: FloatArray, previous: dict[str, FloatArray]
    ) -> tuple[FloatArray, FloatArray | None]:
        del previous
        started = time.perf_counter()
        view = slot_view(site, now, present, remaining)
        interface = ParkInterface(view)
        algorithm.register_interface(interface)
        schedule = algorithm.run()
        counters.replans.append(time.perf_counter() - started)
        rows = [np.asarray(schedule.get(station, [0.0]), dtype=np.float64) for station in view.ids]
        setpoints, deadband = setpoints_kw(np.array([row[0] for row in rows]), view.min_a, interface.limit_a())
        counters.deadband += deadband
        length = max(len(row) for row in rows)
        if length == 1:
            return setpoints, None
        plan = np.zeros((len(rows), length))
        for k, row in enumerate(rows):
            plan[k, : len(row)] = row * KW_PER_AMP
        plan[:, 0] = setpoints
        return setpoints, plan

    return plan


def mode() -> str:
    return os.environ.get("PARK_ACN", "all")


def scores(site: Site) -> list[Score]:
    """One row per ACN algorithm on ``site`` (declared departures as the site has them)."""
    if not AVAILABLE or mode() == "0":
        return []
    rows = []
    for name, make in _algorithms(adaptive=mode() != "sorted").items():
        counters = _Counters(replans=[])
        score = simulate(f"{name}, noisy departures", site, planner(make(), counters))
        rows.append(replace(score, replan_p95_s=float(np.percentile(counters.replans, 95))))
        deadband_counts[name] = counters.deadband
    return rows


def adaptive_replan_time(site: Site, now: int, repeats: int = 3) -> float | None:
    """p95 seconds of one adaptive replan with every car of ``site`` present (``None``: not run)."""
    if not AVAILABLE or mode() != "all" or len(site.sessions) > ADAPTIVE_MAX_SCALE:
        return None
    remaining = np.array([s.energy_kwh for s in site.sessions])

    def replan(present: list[int]) -> float:
        started = time.perf_counter()
        algorithm = AdaptiveQuickCharge()
        algorithm.register_interface(ParkInterface(slot_view(site, now, present, remaining)))
        algorithm.run()
        return time.perf_counter() - started

    replan([0])  # the first solve in a process also loads cvxpy's solver interfaces
    return float(np.percentile([replan(list(range(len(site.sessions)))) for _ in range(repeats)], 95))

"""The service on the real bus and database: events in, a plan, profiles out, ems.plan.updated, the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ems_adapter.domain.caps import site_kw, steps, within
from ladeplan_contracts.events import (
    ChargePointBooted,
    ChargePointCreated,
    Connector,
    LocationCreated,
    SessionEnergyMeasured,
    TransactionEnded,
    TransactionStarted,
)
from ladeplan_contracts.smart_charging import EvChargingNeedsNotified

pytestmark = pytest.mark.integration

LIMIT_KW = 22.0
VOLTS_3_PHASES = 3 * 230


async def a_site(publish, db, eventually, gateway, ids, charge_points=2):
    location = ids("loc")
    points = [f"{ids('CP')}-{n}" for n in range(charge_points)]
    for point in points:
        await gateway.hold(point)
    await publish(LocationCreated(location_id=location, name="Depot", timezone="Europe/Berlin", grid_limit_kw=LIMIT_KW))
    for point in points:
        connectors = [Connector(connector_id=1, max_power_kw=22.0), Connector(connector_id=2, max_power_kw=22.0)]
        await publish(ChargePointCreated(charge_point_id=point, location_id=location, connectors=connectors))
    await eventually(lambda: db.fetchval("SELECT count(*) = $2 FROM charge_points WHERE location_id = $1",
                                         location, charge_points))  # fmt: skip
    return location, points


async def start(publish, ids, point, connector, minutes_ago=0):
    session = ids(f"s{connector}") + point[-2:]
    await publish(
        TransactionStarted(
            session_id=session,
            charge_point_id=point,
            evse_id=connector,
            connector_id=connector,
            transaction_ref=f"tx-{session}",
            token_uid="TAG1",
            authorization_status="Accepted",
            started_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            meter_start_wh=0,
        ),
        charge_point_id=point,
    )
    return session


async def test_sessions_get_a_plan_within_the_limit_a_site_cap_and_tx_profiles(
    publish, db, eventually, gateway, plans, client, auth, ids
):
    location, points = await a_site(publish, db, eventually, gateway, ids)
    sessions = [await start(publish, ids, points[0], 1), await start(publish, ids, points[0], 2),
                await start(publish, ids, points[1], 1)]  # fmt: skip

    plan = await eventually(lambda: _plan_with(plans, location, len(sessions)))

    assert {s["session_id"] for s in plan["sessions"]} == set(sessions)
    assert all(s["demand_source"] == "default" and s["remaining_kwh"] == 20.0 for s in plan["sessions"])
    for slot in range(len(plan["capacity_kw"])):
        assert sum(s["power_kw"][slot] for s in plan["sessions"]) <= LIMIT_KW + 1e-9
    assert sum(s["power_kw"][0] for s in plan["sessions"]) == pytest.approx(LIMIT_KW, abs=0.01)  # nothing idle now
    assert plan["charge_point_cap_kw"] == LIMIT_KW / 2

    # What the charge points hold: a scheduled cap each (EVSE 0) and a TxProfile per transaction.
    async def held():
        caps = {p: [c.profile for c in gateway.of(p) if c.profile.purpose == "charge_point_max"] for p in points}
        txs = {c.profile.transaction_ref: c for p in points for c in gateway.of(p) if c.profile.purpose == "tx"}
        return (caps, txs) if all(caps.values()) and set(txs) >= {f"tx-{s}" for s in sessions} else None

    caps, txs = await eventually(held)
    for point in points:
        cap = caps[point][-1]
        assert (cap.unit, cap.kind, cap.duration_s) == ("A", "absolute", None)
        assert cap.start is not None
        assert cap.start <= datetime.now(UTC)
        # After the plan's horizon every charge point falls back to its equal share, for good.
        assert cap.periods[-1].limit == pytest.approx(LIMIT_KW * 1000 / 2 / VOLTS_3_PHASES, abs=0.1)
        assert [c.evse_id for c in gateway.of(point) if c.profile.purpose == "charge_point_max"][-1] == 0

    # The caps carry the limit (the TxProfiles only the plan): whatever the charge points hold adds
    # up to at most the limit at every moment from now on, and once the replans of the three
    # arrivals have gone out, the caps hand out the whole limit now.
    async def settled():
        latest = [[c.profile for c in gateway.of(p) if c.profile.purpose == "charge_point_max"][-1] for p in points]
        now = np.array([datetime.now(UTC).timestamp()])
        return latest if site_kw([steps(cap) for cap in latest], now)[0] >= LIMIT_KW - 2 else None

    held_caps = await eventually(settled)
    assert within([steps(cap) for cap in held_caps], LIMIT_KW, datetime.now(UTC))
    assert {txs[f"tx-{s}"].profile.unit for s in sessions} == {"A"}

    # The operator API serves the same plan.
    answer = await client.get(f"/api/v1/locations/{location}/plan", headers=auth)
    assert answer.status == 200
    assert (await answer.json())["plan_id"] >= plan["plan_id"]


async def test_a_departure_replans_and_ev_needs_replace_the_defaults(publish, db, eventually, gateway, plans, ids):
    location, points = await a_site(publish, db, eventually, gateway, ids, charge_points=1)
    leaving = await start(publish, ids, points[0], 1)
    staying = await start(publish, ids, points[0], 2)
    await eventually(lambda: _plan_with(plans, location, 2))

    departure = datetime.now(UTC) + timedelta(hours=3)
    await publish(
        EvChargingNeedsNotified(
            charge_point_id=points[0],
            evse_id=2,
            energy_transfer="ac_three_phase",
            phases=3,
            requested_energy_wh=12_000,
            departure_time=departure,
        ),
        charge_point_id=points[0],
    )
    await publish(TransactionEnded(charge_point_id=points[0], transaction_ref=f"tx-{leaving}",
                                   stopped_at=datetime.now(UTC), ocpp_message_id="m-1"))  # fmt: skip

    async def ev_plan():
        latest = _latest(plans, location)
        rows = latest["sessions"] if latest else []
        return latest if [r["session_id"] for r in rows] == [staying] and rows[0]["demand_source"] == "ev" else None

    plan = await eventually(ev_plan)
    row = plan["sessions"][0]
    assert row["remaining_kwh"] == pytest.approx(12.0, abs=0.1)
    assert datetime.fromisoformat(row["departure_at"]) == departure
    assert sum(row["power_kw"]) * 0.25 == pytest.approx(row["remaining_kwh"], abs=0.05)  # all of it by departure
    assert await db.fetchval("SELECT ended_at IS NOT NULL FROM sessions WHERE session_id = $1", leaving)


async def test_a_measured_energy_replaces_the_plans_estimate_at_the_next_replan(
    publish, db, eventually, gateway, plans, ids
):
    location, points = await a_site(publish, db, eventually, gateway, ids, charge_points=1)
    session = await start(publish, ids, points[0], 1, minutes_ago=30)
    await eventually(lambda: _plan_with(plans, location, 1))

    measured_at = datetime.now(UTC)
    await publish(
        SessionEnergyMeasured(session_id=session, charge_point_id=points[0], transaction_ref=f"tx-{session}",
                              energy_kwh=5.0, measured_at=measured_at),
        charge_point_id=points[0],
    )  # fmt: skip
    await eventually(lambda: db.fetchval("SELECT measured_at = $2 FROM sessions WHERE session_id = $1",
                                         session, measured_at))  # fmt: skip
    # A measurement does not replan by itself (the periodic replan takes it up): a boot does.
    await publish(ChargePointBooted(charge_point_id=points[0], vendor="Sim", model="1"), charge_point_id=points[0])

    async def measured_plan():
        latest = _latest(plans, location)
        rows = latest["sessions"] if latest else []
        # 20 kWh by default, 5 kWh measured, and what the plan gave in the few seconds since.
        return latest if rows and 14.5 < rows[0]["remaining_kwh"] <= 15.0 else None

    plan = await eventually(measured_plan)
    assert plan["sessions"][0]["session_id"] == session
    assert await db.fetchval("SELECT NOT measured_pending FROM sessions WHERE session_id = $1", session)


async def test_the_api_wants_a_key_and_knows_unknown_locations(client, auth):
    assert (await client.get("/api/v1/locations/x/plan")).status == 401
    missing = await client.get("/api/v1/locations/nowhere/plan", headers=auth)
    assert missing.status == 404
    assert (await missing.json())["error"] == "plan_not_found"
    health = await client.get("/health")
    assert await health.json() == {"status": "ok", "checks": {"database": "ok", "bus": "ok"}}
    paths = (await (await client.get("/api/v1/openapi.json")).json())["paths"]
    assert set(paths) == {
        "/api/v1/locations/{location_id}/plan",
        "/api/v1/locations/{location_id}/demand",
        "/api/v1/locations/{location_id}/charge-points",
    }
    # Without OSCP_GROUPS there is no OSCP endpoint.
    assert (await client.post("/oscp/fp/2.0/heartbeat", json={})).status == 404


def _latest(plans, location):
    matching = plans.matching("ems.plan.updated", location_id=location)
    return max((e["data"] for e in matching), key=lambda d: d["plan_id"], default=None)


async def _plan_with(plans, location, sessions):
    latest = _latest(plans, location)
    return latest if latest is not None and len(latest["sessions"]) == sessions else None

"""The learned demand forecast in the running service: history in the database, a car deferred to cheap slots.

The tariff is built around the wall clock of the run: the current local hour and the two after it
are dear, every other hour cheap, so "a car arriving in an expensive period" holds whenever the
test runs. The history of completed sessions is written straight into ``ems.sessions``, as the
service would have recorded a month of quiet days.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ems_adapter.config import Settings
from ems_adapter.state import REPLANNER
from ladeplan_contracts.events import ChargePointCreated, Connector, LocationCreated, TransactionStarted
from ladeplan_contracts.smart_charging import EvChargingNeedsNotified

pytestmark = pytest.mark.integration

OPERATOR_KEY = "test-operator-key"
ZONE = "Europe/Berlin"
DEAR, CHEAP = 0.40, 0.18
LIMIT_KW = 22.0
HISTORY_DAYS = 28


def dear_now() -> str:
    """A tariff dear from the current local hour for three hours, cheap otherwise (``EMS_TARIFF``)."""
    hour = datetime.now(ZoneInfo(ZONE)).hour
    dear = {(hour + k) % 24 for k in range(3)}
    return ",".join(f"{h}:{DEAR if h in dear else CHEAP}" for h in range(24))


@pytest.fixture(scope="module")
def settings(database_url: str, module_amqp_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        amqp_url=module_amqp_url,
        operator_api_keys=OPERATOR_KEY,
        command_timeout_s=3.0,
        ems_tariff=dear_now(),
        ems_forecast_history_days=HISTORY_DAYS,
    )


async def a_site(publish, db, eventually, gateway, ids):
    location, point = ids("loc"), ids("CP")
    await gateway.hold(point)
    await publish(LocationCreated(location_id=location, name="Depot", timezone=ZONE, grid_limit_kw=LIMIT_KW))
    connectors = [Connector(connector_id=1, max_power_kw=22.0), Connector(connector_id=2, max_power_kw=22.0)]
    await publish(ChargePointCreated(charge_point_id=point, location_id=location, connectors=connectors))
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM charge_points WHERE location_id = $1", location))
    return location, point


async def seed_quiet_month(db, point: str) -> None:
    """30 days, one car a day five hours from now (local), 5 kWh in an hour's stay: lots of room left."""
    now = datetime.now(UTC)
    rows = []
    for day in range(1, 31):
        started = now - timedelta(days=day) + timedelta(hours=5)
        session = f"past-{uuid.uuid4().hex[:8]}"
        rows.append((session, point, 2, 2, f"tx-{session}", started, started + timedelta(hours=1), 5.0))
    await db.executemany(
        """
        INSERT INTO sessions (session_id, charge_point_id, evse_id, connector_id, transaction_ref, started_at,
                              ended_at, delivered_kwh, delivered_until)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)
        """,
        rows,
    )


async def a_long_stay(publish, point: str) -> str:
    """A car arriving now (dear) asking 10 kWh, leaving in 10 hours."""
    session = f"s-{uuid.uuid4().hex[:8]}"
    await publish(
        TransactionStarted(
            session_id=session, charge_point_id=point, evse_id=1, connector_id=1, transaction_ref=f"tx-{session}",
            token_uid="TAG1", authorization_status="Accepted", started_at=datetime.now(UTC), meter_start_wh=0,
        ),
        charge_point_id=point,
    )  # fmt: skip
    await publish(
        EvChargingNeedsNotified(
            charge_point_id=point, evse_id=1, energy_transfer="ac_three_phase", phases=3,
            requested_energy_wh=10_000, departure_time=datetime.now(UTC) + timedelta(hours=10),
        ),
        charge_point_id=point,
    )  # fmt: skip
    return session


def _latest(plans, location):
    matching = plans.matching("ems.plan.updated", location_id=location)
    return max((e["data"] for e in matching), key=lambda d: d["plan_id"], default=None)


async def settled_ev_plan(plans, location, client, db, eventually):
    """The plan once the EV's needs are in and every replan they asked for has run.

    Not the first plan with them: a replan already running when the car arrived may plan it
    before the car's location has a forecast (it was learned without a car), and the next fixes it.
    """

    async def with_needs():
        rows = (_latest(plans, location) or {}).get("sessions", [])
        return len(rows) == 1 and rows[0]["demand_source"] == "ev"

    await eventually(with_needs)
    await client.app[REPLANNER].idle()
    final = await db.fetchval("SELECT plan_id FROM plans WHERE location_id = $1", location)

    async def published():
        latest = _latest(plans, location)
        return latest if latest is not None and latest["plan_id"] >= final else None

    return await eventually(published)


async def test_with_a_month_of_history_a_long_stay_arriving_at_a_dear_hour_charges_in_the_cheap_ones(
    publish, db, eventually, gateway, plans, client, ids
):
    location, point = await a_site(publish, db, eventually, gateway, ids)
    await seed_quiet_month(db, point)

    await a_long_stay(publish, point)
    plan = await settled_ev_plan(plans, location, client, db, eventually)

    power, price = plan["sessions"][0]["power_kw"], plan["price_eur_per_kwh"]
    hours = plan["slot_seconds"] / 3600
    assert price[0] == DEAR
    assert [p for p, c in zip(power, price, strict=True) if c == DEAR] == [0.0] * price.count(DEAR)
    assert sum(power) * hours == pytest.approx(10.0, abs=0.05)  # all of it, before the departure


async def test_without_history_the_same_car_starts_charging_at_once(
    publish, db, eventually, gateway, plans, client, ids
):
    location, point = await a_site(publish, db, eventually, gateway, ids)

    await a_long_stay(publish, point)
    plan = await settled_ev_plan(plans, location, client, db, eventually)

    power = plan["sessions"][0]["power_kw"]
    assert plan["price_eur_per_kwh"][0] == DEAR
    assert power[0] == pytest.approx(LIMIT_KW, abs=0.01)  # work-conserving: the capacity now is not wasted
    assert sum(power) * plan["slot_seconds"] / 3600 == pytest.approx(10.0, abs=0.05)

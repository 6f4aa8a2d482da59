"""External EMSs on the real bus, database and HTTP: OSCP 2.0 with a stand-in provider, and the demand/plan API.

The module runs its own app: one location planned within the provider's capacity (``oscp``), one
planned by an external EMS (``external``). The provider stand-in (``tests/support/oscp_provider.py``)
is a separate HTTP server with its own tokens; ladeplan registers with it at startup.
"""

from __future__ import annotations

import hashlib
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ems_adapter.app import create_app
from ems_adapter.config import OSCP_PATH, OscpGroup, Settings
from ladeplan_contracts.events import ChargePointCreated, Connector, LocationCreated, TransactionStarted
from tests.support.oscp_provider import CapacityProviderStandIn

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
GROUP, OSCP_LOCATION, EXTERNAL_LOCATION = f"grp-{RUN}", f"loc-oscp-{RUN}", f"loc-ext-{RUN}"
LIMIT_KW = 22.0
FALLBACK_KW = 7.0
A_16_KW = 16 * 230 * 3 / 1000  # 11.04 kW: a 16 A forecast on three phases
OPERATOR_KEY = "test-operator-key"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = _free_port()


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[CapacityProviderStandIn]:
    stand_in = CapacityProviderStandIn()
    await stand_in.start()
    yield stand_in
    await stand_in.close()


@pytest.fixture(scope="module")
def settings(database_url: str, module_amqp_url: str, provider: CapacityProviderStandIn) -> Settings:
    return Settings(
        database_url=database_url,
        amqp_url=module_amqp_url,
        operator_api_keys=OPERATOR_KEY,
        command_timeout_s=3.0,
        ems_mode_by_location={OSCP_LOCATION: "oscp", EXTERNAL_LOCATION: "external"},
        oscp_groups={GROUP: OscpGroup(location_id=OSCP_LOCATION, fallback_kw=FALLBACK_KW)},
        oscp_provider_url=provider.base_url,
        oscp_registration_token=provider.registration_token,
        oscp_public_url=f"http://127.0.0.1:{PORT}{OSCP_PATH}",
        oscp_heartbeat_interval_s=30,
        oscp_measurement_interval_s=1.0,
    )


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    app = await create_app(settings)
    async with TestClient(TestServer(app, port=PORT)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
async def linked(client, provider, gateway, publish, db, eventually, plans) -> CapacityProviderStandIn:
    """Registered both ways, handshakes done (the provider wants heartbeats every second), the two sites up."""
    await eventually(lambda: _flag(provider.registered.is_set()))
    await eventually(lambda: _at_least(provider.of("handshake"), 1))
    assert await provider.handshake(1, ["INTERMITTENT"]) == 204
    await eventually(lambda: _flag(provider.acknowledged.is_set()))
    for location, points in ((OSCP_LOCATION, 2), (EXTERNAL_LOCATION, 1)):
        await publish(LocationCreated(location_id=location, name=location, timezone="UTC", grid_limit_kw=LIMIT_KW))
        for n in range(points):
            point = f"CP-{location}-{n}"
            await gateway.hold(point)
            connectors = [Connector(connector_id=1, max_power_kw=22.0), Connector(connector_id=2, max_power_kw=22.0)]
            await publish(ChargePointCreated(charge_point_id=point, location_id=location, connectors=connectors))
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM charge_points WHERE location_id = ANY($1::text[])",
                                         [OSCP_LOCATION, EXTERNAL_LOCATION]))  # fmt: skip
    return provider


async def start(publish, point: str, connector: int) -> str:
    session = f"s-{uuid.uuid4().hex[:8]}"
    await publish(
        TransactionStarted(
            session_id=session, charge_point_id=point, evse_id=connector, connector_id=connector,
            transaction_ref=f"tx-{session}", token_uid="TAG1", authorization_status="Accepted",
            started_at=datetime.now(UTC), meter_start_wh=0,
        ),
        charge_point_id=point,
    )  # fmt: skip
    return session


def latest(plans, location):
    matching = plans.matching("ems.plan.updated", location_id=location)
    return max((e["data"] for e in matching), key=lambda d: d["plan_id"], default=None)


def blocks(capacity: float, unit: str, hours: float) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [{"capacity": capacity, "phase": "ALL", "unit": unit, "start_time": (now - timedelta(minutes=1)).isoformat(),
             "end_time": (now + timedelta(hours=hours)).isoformat()}]  # fmt: skip


async def test_register_and_handshake_exchange_tokens_and_behaviour(linked, db, settings, eventually):
    provider = linked
    register = provider.of("register")[0]
    assert register.headers["Authorization"] == f"Token {provider.registration_token}"
    assert register.headers["X-Request-ID"]
    assert register.body["version_url"] == [{"version": "2.0", "base_url": settings.oscp_public_url}]
    handshake = provider.of("handshake")[0]
    assert handshake.headers["Authorization"] == f"Token {provider.token}"  # the token the provider registered back
    assert handshake.body["required_behaviour"]["heartbeat_interval"] == 30

    # ladeplan's token is kept only as its hash; the provider's as received (it must be sent back).
    peer = await db.fetchrow("SELECT * FROM oscp_peer")
    assert peer["our_token_sha256"] == hashlib.sha256(provider.peer_token.encode()).hexdigest()
    assert provider.peer_token not in {str(value) for value in peer.values()}
    assert peer["peer_token"] == provider.token
    assert peer["heartbeat_interval_s"] == 1

    # The provider's Handshake was acknowledged, correlated to it.
    (acknowledgement,) = provider.of("handshake_acknowledgement")
    handshake_id = next(request_id for message, request_id in provider.sent if message == "handshake")
    assert acknowledgement.headers["X-Correlation-ID"] == handshake_id
    assert acknowledgement.body["required_behaviour"]["heartbeat_interval"] == 30

    # Heartbeats at the interval the provider asked for, each promising the next.
    beats = await eventually(lambda: _at_least(provider.of("heartbeat"), 2))
    offline_at = datetime.fromisoformat(beats[-1].body["offline_mode_at"])
    assert datetime.now(UTC) < offline_at <= datetime.now(UTC) + timedelta(seconds=3)
    assert provider.refused == []


async def test_a_forecast_becomes_the_site_limit_and_heartbeat_loss_falls_back(linked, publish, plans, eventually):
    provider = linked
    assert await provider.heartbeat(datetime.now(UTC) + timedelta(hours=1)) == 204
    sessions = [await start(publish, f"CP-{OSCP_LOCATION}-0", 1), await start(publish, f"CP-{OSCP_LOCATION}-0", 2),
                await start(publish, f"CP-{OSCP_LOCATION}-1", 1)]  # fmt: skip
    await eventually(lambda: _plan(plans, OSCP_LOCATION, lambda p: len(p["sessions"]) == 3))

    assert await provider.forecast(GROUP, "CONSUMPTION", blocks(16, "A", hours=2)) == 204

    plan = await eventually(lambda: _plan(plans, OSCP_LOCATION, lambda p: p["capacity_kw"][0] < LIMIT_KW))
    capacity = plan["capacity_kw"]
    assert capacity[:8] == [pytest.approx(A_16_KW, abs=1e-3)] * 8  # two hours of 15-minute slots
    assert max(capacity[9:], default=LIMIT_KW) == LIMIT_KW  # the connection's limit after the forecast
    for slot, limit in enumerate(capacity):
        assert sum(s["power_kw"][slot] for s in plan["sessions"]) <= limit + 1e-6
    assert sum(s["power_kw"][0] for s in plan["sessions"]) == pytest.approx(A_16_KW, abs=0.01)
    assert {s["session_id"] for s in plan["sessions"]} == set(sessions)
    # Limited below the grid limit now, the caps' tail (after the horizon: a backend outage) keeps the
    # fallback capacity, shared by the two charge points.
    assert plan["charge_point_cap_kw"] == FALLBACK_KW / 2

    # The provider falls silent: past its offline_mode_at the configured fallback applies.
    assert await provider.heartbeat(datetime.now(UTC) + timedelta(seconds=1)) == 204
    fallback = await eventually(lambda: _plan(plans, OSCP_LOCATION, lambda p: p["capacity_kw"][0] == FALLBACK_KW))
    assert all(limit == FALLBACK_KW for limit in fallback["capacity_kw"])
    for slot in range(len(fallback["capacity_kw"])):
        assert sum(s["power_kw"][slot] for s in fallback["sessions"]) <= FALLBACK_KW + 1e-6
    assert fallback["charge_point_cap_kw"] == FALLBACK_KW / 2

    # Back online: the forecast holds again.
    assert await provider.heartbeat(datetime.now(UTC) + timedelta(hours=1)) == 204
    await eventually(lambda: _plan(plans, OSCP_LOCATION, lambda p: p["capacity_kw"][0] == pytest.approx(A_16_KW)))


async def test_measurements_arrive_at_the_provider(linked, eventually):
    provider = linked
    groups = await eventually(lambda: _at_least([r for r in provider.of("update_group_measurements")
                                                 if r.body["group_id"] == GROUP], 2))  # fmt: skip
    reading = groups[-1].body["measurements"][0]
    assert (reading["unit"], reading["direction"], reading["phase"], reading["energy_type"]) == (
        "KWH", "IMPORT", "ALL", "FLEXIBLE")  # fmt: skip
    assert "initial_measure_time" in reading  # the provider asked for INTERMITTENT
    assets = await eventually(lambda: _at_least(provider.of("update_asset_measurements"), 1))
    measured = {m["asset_id"]: m for m in assets[-1].body["measurements"]}
    assert set(measured) == {f"CP-{OSCP_LOCATION}-0", f"CP-{OSCP_LOCATION}-1"}
    assert all(m["asset_category"] == "CHARGING" and m["instantaneous_measurement"]["unit"] == "KW"
               for m in measured.values())  # fmt: skip
    assert provider.refused == []


async def test_bad_oscp_requests_get_4xx_and_what_cannot_be_followed_a_compliance_error(linked, eventually):
    provider = linked
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert (await provider.post("heartbeat", {"offline_mode_at": soon}, token=""))[0] == 401
    status, body = await provider.post("heartbeat", {"offline_mode_at": soon}, token="not-ours")
    assert (status, body["error"]) == (401, "unauthorized")
    # The out-of-band token only opens Register.
    assert (await provider.post("heartbeat", {"offline_mode_at": soon}, token=provider.registration_token))[0] == 401

    async def refused(message, body, **headers):
        status, answer = await provider.post(message, body, headers=headers)
        assert status == 400
        return answer["error"]

    assert await refused("heartbeat", {"offline_mode_at": soon}, **{"X-Request-ID": ""}) == "missing_request_id"
    assert await refused("heartbeat", {"offline_mode_at": "2020-01-01T00:00:00Z"}) == "invalid_offline_mode_at"
    assert await refused("heartbeat", "not json") == "invalid_message"
    bad_unit = blocks(16, "MW", hours=1)
    forecast = {"group_id": GROUP, "type": "CONSUMPTION", "forecasted_blocks": bad_unit}
    assert await refused("update_group_capacity_forecast", forecast) == "invalid_message"
    unknown = {"group_id": "nobody", "type": "CONSUMPTION", "forecasted_blocks": blocks(16, "A", hours=1)}
    assert await refused("update_group_capacity_forecast", unknown) == "unknown_group"
    good = {"group_id": GROUP, "type": "CONSUMPTION", "forecasted_blocks": blocks(16, "A", hours=1)}
    segments = {"X-Segment-Index": "3", "X-Segment-Count": "2"}
    assert await refused("update_group_capacity_forecast", good, **segments) == "invalid_segment"
    assert (await provider.post("handshake", {"required_behaviour": {"heartbeat_interval": 0}}))[0] == 400

    # ladeplan steers no generation: it accepts the message and says it cannot comply.
    assert await provider.forecast(GROUP, "GENERATION", blocks(5, "KW", hours=1)) == 204
    errors = await eventually(lambda: _at_least(provider.of("group_capacity_compliance_error"), 1))
    assert "GENERATION" in errors[0].body["message"]
    assert errors[0].headers["X-Correlation-ID"] == provider.sent[-1][1]  # answers that forecast
    assert errors[0].body["forecasted_blocks"][0]["unit"] == "KW"


async def test_an_external_ems_reads_the_demand_and_its_plan_goes_out_as_profiles(
    linked, client, publish, plans, gateway, eventually
):
    auth = {"Authorization": f"Bearer {OPERATOR_KEY}"}
    point = f"CP-{EXTERNAL_LOCATION}-0"
    first, second = await start(publish, point, 1), await start(publish, point, 2)

    async def demand():
        answer = await client.get(f"/api/v1/locations/{EXTERNAL_LOCATION}/demand", headers=auth)
        body = await answer.json()
        return body if answer.status == 200 and len(body["sessions"]) == 2 else None

    body = await eventually(demand)
    assert (body["mode"], body["grid_limit_kw"], body["slot_seconds"]) == ("external", LIMIT_KW, 900)
    row = next(s for s in body["sessions"] if s["session_id"] == first)
    assert (row["source"], row["phases"], row["max_power_kw"]) == ("default", 3, 22.0)
    assert row["min_power_kw"] == pytest.approx(4.14)
    assert row["remaining_kwh"] == pytest.approx(20.0, abs=0.1)

    start_at = datetime.fromisoformat(body["at"]).replace(second=0, microsecond=0)
    plan = {"start": start_at.isoformat(), "slot_seconds": 900,
            "sessions": [{"session_id": first, "power_kw": [15.0, 11.0, 0.0]},
                         {"session_id": second, "power_kw": [7.0, 11.0, 6.0]}]}  # fmt: skip
    accepted = await client.put(f"/api/v1/locations/{EXTERNAL_LOCATION}/plan", json=plan, headers=auth)
    assert accepted.status == 202, await accepted.text()
    assert (await accepted.json())["slots"] == 3

    published = await eventually(lambda: _plan(plans, EXTERNAL_LOCATION, lambda p: _first_slot(p, first) == 15.0))
    rows = {s["session_id"]: s["power_kw"] for s in published["sessions"]}
    assert rows == {first: [15.0, 11.0, 0.0], second: [7.0, 11.0, 6.0]}

    async def tx_profile():
        held = [c.profile for c in gateway.of(point) if c.profile.transaction_ref == f"tx-{first}"]
        return held[-1] if held and held[-1].periods[0].limit == pytest.approx(15_000 / 690, abs=0.1) else None

    profile = await eventually(tx_profile)
    assert profile.unit == "A"


async def test_an_external_plan_breaking_the_rules_is_refused_with_the_reasons(linked, client, publish, eventually):
    auth = {"Authorization": f"Bearer {OPERATOR_KEY}"}
    session = await eventually(lambda: _active_session(client, auth))
    now = datetime.now(UTC).isoformat()

    async def put(location, session_id, power_kw):
        plan = {"start": now, "slot_seconds": 900, "sessions": [{"session_id": session_id, "power_kw": power_kw}]}
        answer = await client.put(f"/api/v1/locations/{location}/plan", json=plan, headers=auth)
        return answer.status, await answer.json()

    status, body = await put(EXTERNAL_LOCATION, session, [23.0, 2.0])
    assert (status, body["error"]) == (422, "plan_rejected")
    assert body["detail"] == [
        "slot 0: 23.000 kW above the limit 22.000 kW",
        f"{session}: above its maximum of 22.000 kW",
        f"{session}: a setpoint between 0 and its minimum of 4.140 kW",
    ]
    status, body = await put(EXTERNAL_LOCATION, "ghost", [5.0])
    assert body["detail"] == ["ghost: no active session at this location"]
    status, body = await put(EXTERNAL_LOCATION, session, [-1.0])
    assert (status, body["error"]) == (422, "invalid_body")
    status, body = await put(OSCP_LOCATION, session, [5.0])
    assert (status, body["error"]) == (409, "not_external")

    paths = (await (await client.get("/api/v1/openapi.json")).json())["paths"]
    assert set(paths["/api/v1/locations/{location_id}/plan"]) == {"get", "put"}
    assert "/api/v1/locations/{location_id}/demand" in paths


async def _active_session(client, auth):
    answer = await client.get(f"/api/v1/locations/{EXTERNAL_LOCATION}/demand", headers=auth)
    sessions = (await answer.json())["sessions"] if answer.status == 200 else []
    return sessions[0]["session_id"] if sessions else None


async def _flag(value):
    return value


async def _at_least(items, count):
    return items if len(items) >= count else None


def _first_slot(plan, session_id):
    return next((s["power_kw"][0] for s in plan["sessions"] if s["session_id"] == session_id), None)


async def _plan(plans, location, condition):
    plan = latest(plans, location)
    return plan if plan is not None and condition(plan) else None

"""The walking skeleton's path through the real processes, PostgreSQL and RabbitMQ.

A charge point connects over OCPP (1.6 and 2.0.1, the ``ocpp`` package's client side), a token
created through masterdata is authorised by session-manager, the transaction runs with meter
values, and the completed session is stored and announced.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from ladeplan.simulator.charge_points import Sim16, Sim201
from ladeplan.simulator.connection import ClientConnection, open_socket
from tests.e2e.support import Operator, Stack
from tests.support.bus import EventTap, tap_events
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e


@asynccontextmanager
async def connected(stack: Stack, cp_id: str, password: str, version: str) -> AsyncIterator[Any]:
    protocol = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    async with open_socket(stack.gateway_url, cp_id, password, protocol) as socket:
        sim = (Sim16 if version == "1.6" else Sim201)(cp_id, ClientConnection(socket), response_timeout=8)
        reader = asyncio.create_task(sim.start())
        try:
            yield sim
        finally:
            reader.cancel()


async def authorize_status(sim: Any, token: str) -> str:
    if isinstance(sim, Sim16):
        return str((await sim.authorize(token)).id_tag_info["status"])
    from ocpp.v201 import call

    reply = await sim.call(call.Authorize(id_token={"id_token": token, "type": "ISO14443"}))
    return str(reply.id_token_info["status"])


async def wait_authorized(sim: Any, token: str, expected: str = "Accepted") -> None:
    """Tokens reach session-manager as events; wait until it knows this one."""

    async def check() -> bool:
        return await authorize_status(sim, token) == expected

    await eventually(check)


@pytest.fixture
async def completed_events(stack: Stack) -> AsyncIterator[EventTap]:
    async with tap_events(stack.env["AMQP_URL"], "session.completed") as tap:
        yield tap


async def completed_session(operator: Operator, cp_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        items = await operator.sessions(cp_id)
        done = [s for s in items if s["status"] == "completed"]
        return done[0] if done else None

    result: dict[str, Any] = await eventually(check, timeout=20)
    return result


async def test_v16_session_end_to_end(stack: Stack, operator: Operator, completed_events: EventTap) -> None:
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    async with connected(stack, cp_id, password, "1.6") as sim:
        assert (await sim.boot()).status == "Accepted"
        await wait_authorized(sim, token)
        started = await sim.start_transaction(1, token, 10_000)
        assert started.id_tag_info["status"] == "Accepted"
        assert isinstance(started.transaction_id, int)
        active = await operator.sessions(cp_id)
        assert [(s["status"], s["token_uid"]) for s in active] == [("active", token)]
        await sim.meter_values(1, started.transaction_id, 12_500, 11_000.0)
        await sim.stop_transaction(started.transaction_id, 17_250, token)

    session = await completed_session(operator, cp_id)
    assert session["energy_wh"] == 7_250
    assert session["connector_id"] == 1
    assert session["ended_at"] is not None
    event = await completed_events.wait_for("session.completed", timeout=20, charge_point_id=cp_id)
    assert event["data"]["energy_wh"] == 7_250
    assert event["data"]["session_id"] == session["id"]


async def test_v201_session_end_to_end(stack: Stack, operator: Operator, completed_events: EventTap) -> None:
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    tx = f"tx-{uuid.uuid4().hex[:8]}"
    async with connected(stack, cp_id, password, "2.0.1") as sim:
        assert (await sim.boot()).status == "Accepted"
        await wait_authorized(sim, token)
        started = await sim.transaction_event(
            "Started", tx, trigger_reason="Authorized", energy_wh=2_000, context="Transaction.Begin", id_token=token
        )
        assert started.id_token_info["status"] == "Accepted"
        await sim.transaction_event("Updated", tx, trigger_reason="MeterValuePeriodic", energy_wh=3_000)
        await sim.transaction_event(
            "Ended",
            tx,
            trigger_reason="EVDeparted",
            energy_wh=6_400,
            context="Transaction.End",
            stopped_reason="EVDisconnected",
        )
    session = await completed_session(operator, cp_id)
    assert session["energy_wh"] == 4_400
    assert session["token_uid"] == token
    event = await completed_events.wait_for("session.completed", timeout=20, charge_point_id=cp_id)
    assert event["data"]["transaction_ref"] == tx


async def test_authorisation_outcomes(stack: Stack, operator: Operator) -> None:
    cp_id, password = await operator.charge_point()
    blocked = await operator.token(status="blocked")
    async with connected(stack, cp_id, password, "1.6") as sim:
        await sim.boot()
        await wait_authorized(sim, blocked, expected="Blocked")
        assert await authorize_status(sim, f"UNKNOWN{uuid.uuid4().hex[:6]}") == "Invalid"


async def test_remote_start_through_the_command_path(stack: Stack, operator: Operator) -> None:
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    url = f"{stack.sessions_url}/charge-points/{cp_id}/remote-start"
    async with operator.http.post(url, json={"token_uid": token, "evse_id": 1}) as response:
        assert response.status == 200
        assert (await response.json())["status"] == "offline"
    async with connected(stack, cp_id, password, "2.0.1") as sim:
        await sim.boot()
        async with operator.http.post(url, json={"token_uid": token, "evse_id": 1}) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["status"] == "accepted"
        request = await asyncio.wait_for(sim.remote_starts.get(), 5)
        assert request["id_token"]["id_token"] == token
        assert request["evse_id"] == 1


async def test_bad_frame_does_not_disturb_other_charge_points(stack: Stack, operator: Operator) -> None:
    bad_id, bad_password = await operator.charge_point()
    good_id, good_password = await operator.charge_point()
    async with (
        open_socket(stack.gateway_url, bad_id, bad_password, "ocpp1.6") as bad,
        connected(stack, good_id, good_password, "2.0.1") as good,
    ):
        await bad.send_str("{definitely not json")
        reply = json.loads(await bad.receive_str(timeout=5))
        assert reply[:3] == [4, "-1", "FormationViolation"]
        assert (await good.boot()).status == "Accepted"
        await bad.send_str('[2,"after","Heartbeat",{}]')
        assert json.loads(await bad.receive_str(timeout=5))[:2] == [3, "after"]


async def test_wrong_password_is_refused_at_the_handshake(stack: Stack, operator: Operator) -> None:
    cp_id, _ = await operator.charge_point()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with open_socket(stack.gateway_url, cp_id, "not-the-password-123", "ocpp1.6"):
            pass
    assert refused.value.status == 401

"""Operator API over HTTP: auth, health, OpenAPI, listing, detail, remote start and stop."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import aio_pika
import pytest

from ladeplan_contracts.commands import Command, CommandReply
from ladeplan_contracts.envelope import new_envelope, parse_envelope
from ladeplan_contracts.events import TransactionEnded
from ladeplan_contracts.names import COMMANDS_EXCHANGE
from ladeplan_contracts.rpc import StartTransactionReply, StartTransactionRequest

pytestmark = pytest.mark.integration


async def start_session(rpc, cp, minute=0, connector_id=1):
    request = StartTransactionRequest(
        charge_point_id=cp,
        evse_id=connector_id,
        connector_id=connector_id,
        token_uid=None,
        meter_start_wh=0,
        started_at=datetime(2026, 11, 25, 12, minute, tzinfo=UTC),
    )
    return await rpc.call(request, StartTransactionReply, timeout=10)


async def end_session(publish, db, eventually, cp, started):
    await publish(
        TransactionEnded(
            charge_point_id=cp,
            transaction_ref=started.transaction_ref,
            stopped_at=datetime(2026, 11, 25, 13, tzinfo=UTC),
            meter_stop_wh=500,
            ocpp_message_id="m-1",
        )
    )
    await eventually(
        lambda: db.fetchval(
            "SELECT true FROM sessions WHERE id = $1 AND status = 'completed'", uuid.UUID(started.session_id)
        )
    )


class FakeGatewayNode:
    """Holds one charge point's binding on ``ladeplan.commands`` and answers like its charge point would."""

    def __init__(self, status="accepted"):
        self.status = status
        self.commands: list[Command] = []

    async def bind(self, amqp_url, charge_point_id):
        self.connection = await aio_pika.connect(amqp_url)
        channel = await self.connection.channel()
        exchange = await channel.get_exchange(COMMANDS_EXCHANGE)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, charge_point_id)
        self._channel = channel
        await queue.consume(self._answer)
        return self

    async def _answer(self, message):
        async with message.process():
            self.commands.append(parse_envelope(message.body, Command).data)
            reply = new_envelope(CommandReply(status=self.status, response={"status": self.status.title()}))
            await self._channel.default_exchange.publish(
                aio_pika.Message(reply.model_dump_json().encode(), correlation_id=message.correlation_id),
                routing_key=message.reply_to,
            )

    async def close(self):
        await self.connection.close()


async def test_the_api_wants_an_operator_key(client):
    assert (await client.get("/api/v1/sessions")).status == 401
    wrong = await client.get("/api/v1/sessions", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    assert (await wrong.json())["error"] == "unauthorized"


async def test_health_and_openapi_are_public(client):
    health = await client.get("/health")
    openapi = await client.get("/api/v1/openapi.json")

    assert health.status == 200
    assert await health.json() == {"status": "ok", "checks": {"database": "ok", "bus": "ok"}}
    assert openapi.status == 200
    paths = (await openapi.json())["paths"]
    assert set(paths) == {
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}",
        "/api/v1/charge-points/{charge_point_id}/remote-start",
        "/api/v1/sessions/{session_id}/remote-stop",
    }


async def test_sessions_are_listed_newest_first_and_filtered(client, auth, rpc, cp, publish, db, eventually):
    older = await start_session(rpc, cp, minute=1)
    newer = await start_session(rpc, cp, minute=2)
    await start_session(rpc, f"{cp}-other", minute=3)
    await end_session(publish, db, eventually, cp, older)

    everything = await client.get("/api/v1/sessions", params={"charge_point_id": cp}, headers=auth)
    active = await client.get("/api/v1/sessions", params={"charge_point_id": cp, "status": "active"}, headers=auth)
    one = await client.get("/api/v1/sessions", params={"charge_point_id": cp, "limit": "1"}, headers=auth)

    items = (await everything.json())["items"]
    assert [i["id"] for i in items] == [newer.session_id, older.session_id]
    summary_fields = ("charge_point_id", "connector_id", "token_uid", "started_at", "ended_at", "energy_wh", "status")
    assert {k: items[1][k] for k in summary_fields} == {
        "charge_point_id": cp,
        "connector_id": 1,
        "token_uid": None,
        "started_at": "2026-11-25T12:01:00Z",
        "ended_at": "2026-11-25T13:00:00Z",
        "energy_wh": 500,
        "status": "completed",
    }
    assert [i["id"] for i in (await active.json())["items"]] == [newer.session_id]
    assert [i["id"] for i in (await one.json())["items"]] == [newer.session_id]


@pytest.mark.parametrize("params", [{"status": "running"}, {"limit": "0"}, {"limit": "many"}, {"limit": "100000"}])
async def test_a_bad_status_or_limit_is_422(client, auth, params):
    response = await client.get("/api/v1/sessions", params=params, headers=auth)

    assert response.status == 422
    assert (await response.json())["error"] == "invalid_query"


@pytest.mark.parametrize("session_id", [str(uuid.uuid4()), "not-a-uuid"])
async def test_an_unknown_or_malformed_session_id_is_404(client, auth, session_id):
    detail = await client.get(f"/api/v1/sessions/{session_id}", headers=auth)
    stop = await client.post(f"/api/v1/sessions/{session_id}/remote-stop", headers=auth)

    assert (detail.status, stop.status) == (404, 404)
    assert (await detail.json())["error"] == "session_not_found"


async def test_remote_start_to_an_unconnected_charge_point_is_offline(client, auth, cp):
    response = await client.post(
        f"/api/v1/charge-points/{cp}/remote-start", json={"token_uid": "TAG-1", "evse_id": 1}, headers=auth
    )

    assert response.status == 200
    body = await response.json()
    assert body["status"] == "offline"


async def test_remote_start_reaches_the_charge_point_and_returns_its_answer(client, auth, cp, amqp_url):
    node = await FakeGatewayNode("accepted").bind(amqp_url, cp)
    try:
        response = await client.post(
            f"/api/v1/charge-points/{cp}/remote-start", json={"token_uid": "TAG-2"}, headers=auth
        )
    finally:
        await node.close()

    assert response.status == 200
    assert await response.json() == {"status": "accepted", "detail": None, "response": {"status": "Accepted"}}
    [command] = node.commands
    assert command.charge_point_id == cp
    assert command.command.model_dump() == {
        "kind": "remote_start",
        "token_uid": "TAG-2",
        "evse_id": None,
        "charging_profile": None,
    }


async def test_remote_start_validates_its_body(client, auth, cp):
    response = await client.post(f"/api/v1/charge-points/{cp}/remote-start", json={"evse_id": 0}, headers=auth)

    assert response.status == 422
    assert {d["field"] for d in (await response.json())["detail"]} == {"token_uid", "evse_id"}


async def test_remote_stop_sends_the_sessions_transaction_reference(client, auth, rpc, cp, amqp_url):
    started = await start_session(rpc, cp)
    node = await FakeGatewayNode("rejected").bind(amqp_url, cp)
    try:
        response = await client.post(f"/api/v1/sessions/{started.session_id}/remote-stop", headers=auth)
    finally:
        await node.close()

    assert response.status == 200
    assert (await response.json())["status"] == "rejected"
    assert [c.command.model_dump() for c in node.commands] == [
        {"kind": "remote_stop", "transaction_ref": started.transaction_ref}
    ]


async def test_remote_stop_of_an_offline_charge_point_is_offline(client, auth, rpc, cp):
    started = await start_session(rpc, cp)

    response = await client.post(f"/api/v1/sessions/{started.session_id}/remote-stop", headers=auth)

    assert response.status == 200
    assert (await response.json())["status"] == "offline"


async def test_remote_stop_of_a_completed_session_is_409(client, auth, rpc, cp, publish, db, eventually):
    started = await start_session(rpc, cp)
    await end_session(publish, db, eventually, cp, started)

    response = await client.post(f"/api/v1/sessions/{started.session_id}/remote-stop", headers=auth)

    assert response.status == 409
    assert (await response.json())["error"] == "session_completed"

"""Operator commands through masterdata's API to a stand-in gateway on the real RabbitMQ.

The gateway lies outside masterdata, so a small stand-in binds the charge point's id on
``ladeplan.commands`` and answers like a gateway node would; everything in masterdata is real.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aio_pika
import pytest
from aiohttp.test_utils import TestClient

from ladeplan_contracts.commands import Command, CommandReply
from ladeplan_contracts.envelope import new_envelope, parse_envelope
from ladeplan_contracts.names import COMMANDS_EXCHANGE
from ladeplan_platform.bus import encode

from .conftest import AUTH, unique

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]
Answer = Callable[[Command], Awaitable[CommandReply | None]]


@asynccontextmanager
async def stand_in_gateway(
    amqp: aio_pika.abc.AbstractConnection, charge_point_id: str, answer: Answer
) -> AsyncIterator[list[Command]]:
    """Hold ``charge_point_id`` like a gateway node: record each command, reply with ``answer`` (None: silence)."""
    received: list[Command] = []
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(COMMANDS_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, routing_key=charge_point_id)

    async def on_command(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            envelope = parse_envelope(message.body, Command)
            received.append(envelope.data)
            reply = await answer(envelope.data)
            if reply is not None and message.reply_to:
                answer_envelope = new_envelope(reply, correlation_id=envelope.message_id)
                await channel.default_exchange.publish(
                    aio_pika.Message(encode(answer_envelope), correlation_id=message.correlation_id),
                    routing_key=message.reply_to,
                )

    await queue.consume(on_command)
    try:
        yield received
    finally:
        await channel.close()


@pytest.fixture
async def charge_point(client: Client, location: dict[str, Any]) -> str:
    cp_id = unique("CMD")
    body = {
        "id": cp_id,
        "location_id": location["id"],
        "password": "command-test-password-1",
        "connectors": [{"connector_id": 1, "max_power_kw": 22.0}],
    }
    response = await client.post("/api/v1/charge-points", json=body, headers=AUTH)
    assert response.status == 201, await response.text()
    return cp_id


async def post(client: Client, cp_id: str, kind: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.post(f"/api/v1/charge-points/{cp_id}/commands/{kind}", json=body, headers=AUTH)
    return response.status, json.loads(await response.text())


async def test_a_command_reaches_the_gateway_and_the_charge_points_answer_comes_back(
    client: Client, amqp: aio_pika.abc.AbstractConnection, charge_point: str
) -> None:
    async def accept(command: Command) -> CommandReply:
        return CommandReply(status="accepted", detail="Scheduled", response={"status": "Scheduled"})

    async with stand_in_gateway(amqp, charge_point, accept) as received:
        status, reply = await post(client, charge_point, "reset", {"mode": "on_idle", "evse_id": 2})
    assert status == 200
    assert reply == {"status": "accepted", "detail": "Scheduled", "response": {"status": "Scheduled"}}
    [command] = received
    assert command.charge_point_id == charge_point
    assert command.command.model_dump() == {"kind": "reset", "mode": "on_idle", "evse_id": 2}
    assert command.timeout_s == 30.0  # COMMAND_TIMEOUT_S, as no timeout_s was given


async def test_every_body_field_travels_and_timeout_s_stays_with_the_request(
    client: Client, amqp: aio_pika.abc.AbstractConnection, charge_point: str
) -> None:
    body = {
        "version": 3,
        "update": "differential",
        "entries": [
            {"token_uid": "AA11", "status": "blocked", "expires_at": "2026-12-01T00:00:00+01:00"},
            {"token_uid": "BB22"},
        ],
        "timeout_s": 12.5,
    }

    async def mismatch(command: Command) -> CommandReply:
        return CommandReply(status="rejected", detail="VersionMismatch")

    async with stand_in_gateway(amqp, charge_point, mismatch) as received:
        status, reply = await post(client, charge_point, "send_local_list", body)
    assert (status, reply["status"], reply["detail"]) == (200, "rejected", "VersionMismatch")
    [command] = received
    assert command.timeout_s == 12.5
    sent = command.command.model_dump(mode="json")
    assert sent["kind"] == "send_local_list"
    assert sent["entries"][0] == {
        "token_uid": "AA11",
        "token_type": "ISO14443",
        "status": "blocked",
        "expires_at": "2026-12-01T00:00:00+01:00",  # as given; the gateway writes UTC for the charge point
    }
    assert sent["entries"][1]["status"] is None


async def test_unconnected_charge_point_is_offline_at_once(client: Client, charge_point: str) -> None:
    started = time.monotonic()
    status, reply = await post(client, charge_point, "clear_cache", {})
    assert (status, reply["status"]) == (200, "offline")
    assert time.monotonic() - started < 2


async def test_a_silent_gateway_means_timeout(
    client: Client, amqp: aio_pika.abc.AbstractConnection, charge_point: str
) -> None:
    async def silence(command: Command) -> None:
        return None

    async with stand_in_gateway(amqp, charge_point, silence) as received:
        status, reply = await post(client, charge_point, "get_local_list_version", {"timeout_s": 0.5})
    assert (status, reply["status"]) == (200, "timeout")
    assert len(received) == 1


async def test_unknown_charge_point_is_404_and_unknown_kind_is_404(client: Client, charge_point: str) -> None:
    status, reply = await post(client, f"NOPE-{uuid.uuid4().hex[:6]}", "clear_cache", {})
    assert (status, reply["error"]) == (404, "not_found")
    status, reply = await post(client, charge_point, "self_destruct", {})
    assert status == 404


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("reset", {"mode": "warm"}, "mode"),
        ("reset", {}, "mode"),
        ("reset", {"mode": "soft", "kind": "unlock_connector"}, "kind"),
        ("unlock_connector", {"evse_id": 0}, "evse_id"),
        ("send_local_list", {"version": 1, "update": "full", "entries": [{"token_uid": "A"}]}, ""),
        ("get_variables", {"variables": []}, "variables"),
        ("update_firmware", {"location": "https://x", "retrieve_at": "2026-12-01T00:00:00"}, "retrieve_at"),
        ("clear_cache", {"timeout_s": 0}, "timeout_s"),
        ("clear_cache", {"surprise": 1}, "surprise"),
    ],
)
async def test_invalid_bodies_are_422_with_reasons(
    client: Client, charge_point: str, kind: str, body: dict[str, Any], field: str
) -> None:
    status, reply = await post(client, charge_point, kind, body)
    assert status == 422, reply
    assert reply["error"] == "invalid_body"
    assert field in {reason["field"] for reason in reply["detail"]}, reply["detail"]


async def test_commands_to_many_charge_points_run_side_by_side(
    client: Client, amqp: aio_pika.abc.AbstractConnection, location: dict[str, Any]
) -> None:
    """Each request waits only for its own charge point: ten slow answers take one answer's time."""
    ids = []
    for _ in range(10):
        cp_id = unique("PAR")
        body = {
            "id": cp_id,
            "location_id": location["id"],
            "password": "command-test-password-1",
            "connectors": [{"connector_id": 1, "max_power_kw": 11.0}],
        }
        assert (await client.post("/api/v1/charge-points", json=body, headers=AUTH)).status == 201
        ids.append(cp_id)

    async def slow_accept(command: Command) -> CommandReply:
        await asyncio.sleep(0.5)
        return CommandReply(status="accepted", detail="Accepted")

    async with AsyncExitStack() as stack:
        stand_ins = [await stack.enter_async_context(stand_in_gateway(amqp, cp_id, slow_accept)) for cp_id in ids]
        started = time.monotonic()
        replies = await asyncio.gather(
            *(post(client, cp_id, "trigger_message", {"message": "heartbeat"}) for cp_id in ids)
        )
        elapsed = time.monotonic() - started
    assert [reply["status"] for _, reply in replies] == ["accepted"] * 10
    assert elapsed < 3, elapsed
    assert [len(received) for received in stand_ins] == [1] * 10

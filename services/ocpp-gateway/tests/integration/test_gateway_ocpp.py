"""The gateway in-process against the real RabbitMQ and PostgreSQL.

masterdata and session-manager lie outside this service, so their RPCs are answered by small
stand-ins on the real broker; everything inside the gateway is the production code.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from ladeplan.simulator.charge_points import Sim16, Sim201
from ladeplan.simulator.connection import ClientConnection
from ladeplan_contracts.commands import RemoteStart
from ladeplan_contracts.names import EVENTS_EXCHANGE
from ladeplan_contracts.rpc import (
    AuthenticateChargePointReply,
    AuthenticateChargePointRequest,
    AuthorizeReply,
    AuthorizeRequest,
    StartTransactionReply,
    StartTransactionRequest,
)
from ladeplan_platform.bus import make_broker, serve_rpc
from ladeplan_platform.commands import CommandClient
from ladeplan_platform.rpc import RpcClient
from ladeplan_platform.settings import ServiceSettings
from ocpp_gateway.app import create_app
from ocpp_gateway.config import Settings

pytestmark = pytest.mark.integration

PASSWORD = "integration-password-123"


@dataclass
class Backend:
    """Stand-ins for masterdata and session-manager answering the gateway's RPCs."""

    known: set[str] = field(default_factory=set)
    decide_starts: bool = True
    starts: list[StartTransactionRequest] = field(default_factory=list)
    next_tx: int = 100

    async def authenticate(self, req: AuthenticateChargePointRequest) -> AuthenticateChargePointReply:
        return AuthenticateChargePointReply(accepted=req.charge_point_id in self.known and req.password == PASSWORD)

    async def authorize(self, req: AuthorizeRequest) -> AuthorizeReply:
        return AuthorizeReply(status="Accepted" if req.token_uid.startswith("OK") else "Invalid")

    async def start(self, req: StartTransactionRequest) -> StartTransactionReply:
        if not self.decide_starts:
            await asyncio.sleep(4)  # slower than the gateway's decision timeout
        self.starts.append(req)
        self.next_tx += 1
        return StartTransactionReply(
            status="Accepted",
            session_id=str(uuid.uuid4()),
            transaction_ref=req.transaction_ref or str(self.next_tx),
            transaction_id=self.next_tx,
        )


@dataclass
class Harness:
    base_url: str
    backend: Backend
    events: asyncio.Queue[tuple[str, dict[str, Any]]]
    commands: CommandClient

    def charge_point(self) -> str:
        cp_id = f"IT-{uuid.uuid4().hex[:8]}"
        self.backend.known.add(cp_id)
        return cp_id

    async def next_event(self, event_type: str, timeout: float = 5) -> dict[str, Any]:
        while True:
            routing_key, body = await asyncio.wait_for(self.events.get(), timeout)
            if routing_key == event_type:
                return body


@pytest.fixture(scope="module")
async def harness(database_url: str, module_amqp_url: str) -> AsyncIterator[Harness]:
    amqp_url = module_amqp_url
    backend = Backend()
    broker = make_broker(ServiceSettings(amqp_url=amqp_url), "test-backend")
    serve_rpc(broker, AuthenticateChargePointRequest, backend.authenticate)
    serve_rpc(broker, AuthorizeRequest, backend.authorize)
    serve_rpc(broker, StartTransactionRequest, backend.start)
    await broker.start()

    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, routing_key="#")
    events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def on_event(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            body = json.loads(message.body)
            body["_headers"] = {k: v.decode() if isinstance(v, bytes) else v for k, v in message.headers.items()}
            await events.put((message.routing_key or "", body))

    await queue.consume(on_event)

    app = await create_app(Settings(database_url=database_url, amqp_url=amqp_url, decision_timeout_s=2))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rpc = RpcClient(amqp_url)
    await rpc.start()
    try:
        yield Harness(f"ws://127.0.0.1:{server.port}", backend, events, CommandClient(rpc))
    finally:
        await rpc.close()
        await server.close()
        await connection.close()
        await broker.stop()


async def _connect(
    harness: Harness, cp_id: str, protocol: str, password: str = PASSWORD
) -> aiohttp.ClientWebSocketResponse:
    http = aiohttp.ClientSession(headers={"Authorization": aiohttp.encode_basic_auth(cp_id, password)})
    try:
        socket = await http.ws_connect(f"{harness.base_url}/ocpp/{cp_id}", protocols=(protocol,))
    except BaseException:
        await http.close()
        raise
    socket._ladeplan_http = http  # type: ignore[attr-defined]  # closed with the socket in _close
    return socket


async def _close(socket: aiohttp.ClientWebSocketResponse) -> None:
    await socket.close()
    await socket._ladeplan_http.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("login", "password", "known"),
    [("same", "wrong-password-0000", True), ("same", PASSWORD, False), ("other-id", PASSWORD, True)],
)
async def test_handshake_refuses_bad_credentials(harness: Harness, login: str, password: str, known: bool) -> None:
    cp_id = harness.charge_point() if known else f"UNKNOWN-{uuid.uuid4().hex[:6]}"
    async with aiohttp.ClientSession() as http:
        user = cp_id if login == "same" else login
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(
                f"{harness.base_url}/ocpp/{cp_id}",
                protocols=("ocpp1.6",),
                headers={"Authorization": aiohttp.encode_basic_auth(user, password)},
            )
        assert refused.value.status == 401


async def test_handshake_without_credentials_is_401(harness: Harness) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{harness.base_url}/ocpp/{harness.charge_point()}", protocols=("ocpp1.6",))
        assert refused.value.status == 401


async def test_unsupported_subprotocol_is_closed(harness: Harness) -> None:
    socket = await _connect(harness, harness.charge_point(), "ocpp1.5")
    message = await socket.receive(timeout=5)
    assert message.type == aiohttp.WSMsgType.CLOSE
    assert socket.close_code == 1002
    await _close(socket)


async def test_v16_session_publishes_events_before_answering(harness: Harness) -> None:
    cp_id = harness.charge_point()
    socket = await _connect(harness, cp_id, "ocpp1.6")
    sim = Sim16(cp_id, ClientConnection(socket))
    reader = asyncio.create_task(sim.start())
    try:
        boot = await sim.boot()
        assert boot.status == "Accepted"
        assert (await harness.next_event("chargepoint.boot.notified"))["data"]["model"] == "Sim-16"
        assert (await sim.authorize("OK-1")).id_tag_info["status"] == "Accepted"
        assert (await sim.authorize("NOPE")).id_tag_info["status"] == "Invalid"
        started = await sim.start_transaction(1, "OK-1", 1000)
        assert started.id_tag_info["status"] == "Accepted"
        assert harness.backend.starts[-1].meter_start_wh == 1000
        await sim.meter_values(1, started.transaction_id, 1500, 7400)
        # The answer came back only after the broker confirmed the event, so it is there now.
        event = await harness.next_event("transaction.meter_values", timeout=1)
        assert event["charge_point_id"] == cp_id
        assert event["data"]["transaction_ref"] == str(started.transaction_id)
        assert event["data"]["meter_values"][0]["sampled_values"][0]["value"] == "1500"
        # The websocket CALL's trace continues across the bus: W3C trace context rides in the headers.
        assert event["_headers"]["traceparent"].startswith("00-")
        await sim.stop_transaction(started.transaction_id, 2500, "OK-1")
        ended = await harness.next_event("transaction.ended", timeout=1)
        assert ended["data"]["meter_stop_wh"] == 2500
    finally:
        reader.cancel()
        await _close(socket)


async def test_v201_transaction_event_maps_to_same_contracts(harness: Harness) -> None:
    cp_id = harness.charge_point()
    socket = await _connect(harness, cp_id, "ocpp2.0.1")
    sim = Sim201(cp_id, ClientConnection(socket))
    reader = asyncio.create_task(sim.start())
    try:
        assert (await sim.boot()).status == "Accepted"
        tx = f"tx-{uuid.uuid4().hex[:6]}"
        started = await sim.transaction_event(
            "Started", tx, trigger_reason="Authorized", energy_wh=500, context="Transaction.Begin", id_token="OK-2"
        )
        assert started.id_token_info["status"] == "Accepted"
        request = harness.backend.starts[-1]
        assert (request.transaction_ref, request.meter_start_wh, request.token_uid) == (tx, 500, "OK-2")
        await sim.transaction_event("Updated", tx, trigger_reason="MeterValuePeriodic", energy_wh=900)
        updated = await harness.next_event("transaction.meter_values")
        assert updated["data"]["transaction_ref"] == tx
        await sim.transaction_event(
            "Ended",
            tx,
            trigger_reason="EVDeparted",
            energy_wh=1700,
            context="Transaction.End",
            stopped_reason="EVDisconnected",
        )
        ended = await harness.next_event("transaction.ended")
        assert (ended["data"]["meter_stop_wh"], ended["data"]["reason"]) == (1700, "EVDisconnected")
    finally:
        reader.cancel()
        await _close(socket)


@pytest.mark.parametrize(
    ("protocol", "frame", "expected"),
    [
        ("ocpp1.6", "this is not json", ["-1", "FormationViolation"]),
        ("ocpp2.0.1", "this is not json", ["-1", "RpcFrameworkError"]),
        ("ocpp1.6", '[2,"b1","Heartbeat",{"unexpected":1}]', ["b1", "FormationViolation"]),
        ("ocpp2.0.1", '[2,"b2","Heartbeat",{"unexpected":1}]', ["b2", "FormatViolation"]),
        (
            "ocpp1.6",
            '[2,"b3","StatusNotification",{"connectorId":"one","errorCode":"NoError","status":"Available"}]',
            ["b3", "TypeConstraintViolation"],
        ),
        ("ocpp1.6", '[2,"b4","BootNotification",{"chargePointVendor":"x"}]', ["b4", "ProtocolError"]),
        ("ocpp1.6", '[2,"b5","NoSuchAction",{}]', ["b5", "NotSupported"]),
        # An action of the version that a charge point never sends to the backend (Reset is CSMS-initiated).
        ("ocpp1.6", '[2,"b6","Reset",{"type":"Soft"}]', ["b6", "NotImplemented"]),
        ("ocpp2.1", '[2,"b7","Reset",{"type":"Immediate"}]', ["b7", "NotImplemented"]),
    ],
)
async def test_bad_frames_get_callerror_and_connection_carries_on(
    harness: Harness, protocol: str, frame: str, expected: list[str]
) -> None:
    cp_id = harness.charge_point()
    socket = await _connect(harness, cp_id, protocol)
    try:
        await socket.send_str(frame)
        reply = json.loads(await socket.receive_str(timeout=5))
        assert reply[0] == 4
        assert reply[1:3] == expected
        await socket.send_str('[2,"hb","Heartbeat",{}]')
        answer = json.loads(await socket.receive_str(timeout=5))
        assert answer[:2] == [3, "hb"]
        assert "currentTime" in answer[2]
    finally:
        await _close(socket)


async def test_undecidable_start_is_not_answered(harness: Harness) -> None:
    cp_id = harness.charge_point()
    socket = await _connect(harness, cp_id, "ocpp1.6")
    harness.backend.decide_starts = False
    try:
        await socket.send_str(
            '[2,"s1","StartTransaction",{"connectorId":1,"idTag":"OK-3","meterStart":0,"timestamp":"2026-11-25T10:00:00Z"}]'
        )
        with pytest.raises(TimeoutError):
            await socket.receive_str(timeout=3)
        # The connection is still served: the next CALL is answered.
        await socket.send_str('[2,"hb2","Heartbeat",{}]')
        assert json.loads(await socket.receive_str(timeout=5))[:2] == [3, "hb2"]
    finally:
        harness.backend.decide_starts = True
        await _close(socket)


async def test_commands_reach_the_socket_or_answer_offline(harness: Harness) -> None:
    offline = await harness.commands.send(f"NEVER-{uuid.uuid4().hex[:6]}", RemoteStart(token_uid="OK-4"), timeout_s=5)
    assert offline.status == "offline"

    cp_id = harness.charge_point()
    socket = await _connect(harness, cp_id, "ocpp1.6")
    sim = Sim16(cp_id, ClientConnection(socket))
    reader = asyncio.create_task(sim.start())
    try:
        await sim.boot()
        reply = await harness.commands.send(cp_id, RemoteStart(token_uid="OK-4", evse_id=2), timeout_s=5)
        assert reply.status == "accepted"
        received = await asyncio.wait_for(sim.remote_starts.get(), 2)
        assert received == {"id_tag": "OK-4", "connector_id": 2}
    finally:
        reader.cancel()
        await _close(socket)
    await asyncio.sleep(0.3)  # the binding goes with the socket
    after = await harness.commands.send(cp_id, RemoteStart(token_uid="OK-4"), timeout_s=5)
    assert after.status == "offline"

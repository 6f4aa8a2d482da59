"""An in-process gateway for integration tests, with a stand-in for masterdata's handshake RPC.

masterdata lies outside this service, so its ``authenticate-charge-point`` RPC is answered by a
small stand-in on the real broker; everything inside the gateway is the production code.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from ladeplan_contracts.rpc import AuthenticateChargePointReply, AuthenticateChargePointRequest
from ladeplan_platform.bus import make_broker, serve_rpc
from ladeplan_platform.settings import ServiceSettings
from ocpp_gateway.app import create_app
from ocpp_gateway.config import Settings
from ocpp_gateway.tls import server_context

PASSWORD = "harness-password-0123"


@dataclass
class StandInMasterdata:
    """Registered charge points and their passwords; records every handshake question."""

    passwords: dict[str, str] = field(default_factory=dict)
    asked: list[AuthenticateChargePointRequest] = field(default_factory=list)

    def register(self, prefix: str = "IT", password: str = PASSWORD) -> str:
        charge_point_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.passwords[charge_point_id] = password
        return charge_point_id

    async def authenticate(self, request: AuthenticateChargePointRequest) -> AuthenticateChargePointReply:
        self.asked.append(request)
        known = request.charge_point_id in self.passwords
        if request.client_certificate:
            return AuthenticateChargePointReply(accepted=known)
        return AuthenticateChargePointReply(
            accepted=known and self.passwords[request.charge_point_id] == request.password
        )


@asynccontextmanager
async def stand_in(amqp_url: str, masterdata: StandInMasterdata) -> AsyncIterator[None]:
    broker = make_broker(ServiceSettings(amqp_url=amqp_url), "test-masterdata-stand-in")
    serve_rpc(broker, AuthenticateChargePointRequest, masterdata.authenticate)
    await broker.start()
    try:
        yield
    finally:
        await broker.stop()


@dataclass
class RunningGateway:
    settings: Settings
    server: TestServer

    @property
    def url(self) -> str:
        scheme = "wss" if self.settings.tls_cert_file else "ws"
        return f"{scheme}://127.0.0.1:{self.server.port}"


@asynccontextmanager
async def running_gateway(database_url: str, amqp_url: str, **overrides: Any) -> AsyncIterator[RunningGateway]:
    """The gateway app on a free port; TLS from the settings' certificate files, as ``__main__`` does it."""
    settings = Settings(database_url=database_url, amqp_url=amqp_url, decision_timeout_s=2, **overrides)
    server = TestServer(await create_app(settings), host="127.0.0.1")
    await server.start_server(ssl=server_context(settings))
    try:
        yield RunningGateway(settings, server)
    finally:
        await server.close()


@asynccontextmanager
async def ocpp_socket(
    base_url: str,
    charge_point_id: str,
    protocol: str = "ocpp2.0.1",
    *,
    password: str | None = PASSWORD,
    login: str | None = None,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A websocket to the gateway; ``password=None`` sends no Basic auth header at all."""
    headers = {}
    if password is not None:
        headers["Authorization"] = aiohttp.encode_basic_auth(login or charge_point_id, password)
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(
            f"{base_url}/ocpp/{charge_point_id}",
            protocols=(protocol,),
            headers=headers,
            ssl=tls if tls is not None else True,
            compress=0,
        ) as socket,
    ):
        yield socket


async def heartbeat(socket: aiohttp.ClientWebSocketResponse, message_id: str, timeout: float = 5) -> list[Any]:
    """Send a Heartbeat CALL and return the next frame, decoded."""
    await socket.send_str(f'[2,"{message_id}","Heartbeat",{{}}]')
    reply: list[Any] = await socket.receive_json(timeout=timeout)
    return reply

"""The OCPP endpoint ``/ocpp/{charge_point_id}``: handshake checks, then one session per socket."""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass

import structlog
from aiohttp import WSMsgType, web

from ladeplan_contracts.events import ChargePointConnected, ChargePointDisconnected
from ladeplan_contracts.rpc import AuthenticateChargePointReply, AuthenticateChargePointRequest
from ladeplan_platform.rpc import RpcClient, RpcTimeout, Unroutable
from ocpp_gateway.commands import CommandRouter
from ocpp_gateway.config import Settings
from ocpp_gateway.domain.credentials import parse_basic_auth
from ocpp_gateway.handlers.base import ChargePointSession
from ocpp_gateway.handlers.v2 import ChargePoint21, ChargePoint201
from ocpp_gateway.handlers.v16 import ChargePoint16
from ocpp_gateway.registry import LiveConnection, Registry
from ocpp_gateway.repository import PresenceRepository
from ocpp_gateway.takeover import CLOSE_REPLACED
from ocpp_gateway.upstream import Upstream

log = structlog.get_logger("ocpp_gateway.websocket")

# Preference when a charge point offers several: the newest version we speak.
SESSIONS: dict[str, tuple[str, type[ChargePointSession]]] = {
    "ocpp2.1": ("2.1", ChargePoint21),
    "ocpp2.0.1": ("2.0.1", ChargePoint201),
    "ocpp1.6": ("1.6", ChargePoint16),
}
CHARGE_POINT_ID = re.compile(r"^[A-Za-z0-9._-]{1,48}$")


class ConnectionClosed(Exception):
    pass


class WebSocketAdapter:
    """The ``recv``/``send`` pair the ``ocpp`` package expects, over aiohttp's websocket."""

    def __init__(self, socket: web.WebSocketResponse) -> None:
        self._socket = socket

    async def recv(self) -> str:
        message = await self._socket.receive()
        if message.type == WSMsgType.TEXT:
            return str(message.data)
        if message.type == WSMsgType.BINARY:
            # OCPP-J frames are text; a binary frame is answered as a malformed frame, not dropped.
            return bytes(message.data).decode("utf-8", errors="replace")
        raise ConnectionClosed(message.type.name)

    async def send(self, message: str) -> None:
        await self._socket.send_str(message)


@dataclass
class Gateway:
    settings: Settings
    upstream: Upstream
    rpc: RpcClient
    commands: CommandRouter
    presence: PresenceRepository
    registry: Registry

    async def authenticate(self, request: web.Request, charge_point_id: str) -> web.Response | None:
        """None when the charge point may connect, else the HTTP response refusing it."""
        refuse = web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="ladeplan"'})
        credentials = parse_basic_auth(request.headers.get("Authorization", ""))
        if credentials is None or credentials[0] != charge_point_id:
            return refuse
        try:
            reply = await self.rpc.call(
                AuthenticateChargePointRequest(charge_point_id=charge_point_id, password=credentials[1]),
                AuthenticateChargePointReply,
                timeout=self.settings.decision_timeout_s,
                charge_point_id=charge_point_id,
            )
        except (RpcTimeout, Unroutable):
            log.error("handshake.auth_unavailable")
            return web.Response(status=503, text="Charge point authentication is unavailable; retry later.")
        return None if reply.accepted else refuse

    async def handle(self, request: web.Request) -> web.StreamResponse:
        charge_point_id = request.match_info["charge_point_id"]
        if not CHARGE_POINT_ID.match(charge_point_id):
            return web.Response(status=404, text="Unknown charge point.")
        with structlog.contextvars.bound_contextvars(charge_point_id=charge_point_id):
            refusal = await self.authenticate(request, charge_point_id)
            if refusal is not None:
                log.warning("handshake.refused", status=refusal.status)
                return refusal
            socket = web.WebSocketResponse(
                protocols=tuple(SESSIONS),
                compress=False,  # compression cut throughput ~7x in measurements
                heartbeat=self.settings.ping_interval_s,
                max_msg_size=self.settings.max_frame_bytes,
            )
            await socket.prepare(request)
            if socket.ws_protocol not in SESSIONS:
                log.warning("handshake.no_common_subprotocol", offered=request.headers.get("Sec-WebSocket-Protocol"))
                await socket.close(code=1002, message=b"Offer ocpp1.6, ocpp2.0.1 or ocpp2.1 as subprotocol.")
                return socket
            await self._serve(request, socket, charge_point_id)
            return socket

    async def _serve(self, request: web.Request, socket: web.WebSocketResponse, charge_point_id: str) -> None:
        version, session_class = SESSIONS[str(socket.ws_protocol)]
        session = session_class(
            charge_point_id,
            WebSocketAdapter(socket),
            self.upstream,
            heartbeat_interval_s=self.settings.heartbeat_interval_s,
        )
        epoch = await self.presence.claim(charge_point_id, self.settings.node_id, version, request.remote)
        live = LiveConnection(charge_point_id, session, socket, epoch, version)
        previous = self.registry.take_over(live)
        if previous is not None:
            await previous.socket.close(code=CLOSE_REPLACED, message=b"Replaced by a newer connection.")
        await self.commands.bind(charge_point_id)
        log.info("connection.opened", ocpp_version=version, epoch=epoch, node_id=self.settings.node_id)
        await self._announce(
            ChargePointConnected(
                charge_point_id=charge_point_id,
                ocpp_version=version,
                node_id=self.settings.node_id,
                epoch=epoch,
                remote_address=request.remote,
            )
        )
        reason = "closed"
        try:
            await session.start()
        except ConnectionClosed as closed:
            reason = str(closed)
        finally:
            if self.registry.release(live):
                await self.commands.unbind(charge_point_id)
            await self.presence.release(charge_point_id, epoch)
            log.info("connection.closed", epoch=epoch, reason=reason, close_code=socket.close_code)
            await self._announce(
                ChargePointDisconnected(
                    charge_point_id=charge_point_id, node_id=self.settings.node_id, epoch=epoch, reason=reason
                )
            )

    async def _announce(self, event: ChargePointConnected | ChargePointDisconnected) -> None:
        # Presence events are informative; a broker hiccup must not tear down the charge point's socket.
        with contextlib.suppress(Exception):
            await self.upstream.publish(event, event.charge_point_id)

    async def close_all(self) -> None:
        await asyncio.gather(
            *(live.socket.close(code=1001, message=b"Gateway shutting down.") for live in self.registry.all()),
            return_exceptions=True,
        )

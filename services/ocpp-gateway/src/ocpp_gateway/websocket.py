"""The OCPP endpoint ``/ocpp/{charge_point_id}``: handshake checks, then one session per socket."""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass

import structlog
from aiohttp import WSMsgType, web

from ladeplan_contracts.events import ChargePointConnected, ChargePointDisconnected
from ocpp_gateway.commands import CommandRouter
from ocpp_gateway.config import Settings
from ocpp_gateway.handlers.base import ChargePointSession
from ocpp_gateway.handlers.v2 import ChargePoint21, ChargePoint201
from ocpp_gateway.handlers.v16 import ChargePoint16
from ocpp_gateway.handshake import HandshakeGuard
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
    guard: HandshakeGuard
    commands: CommandRouter
    presence: PresenceRepository
    registry: Registry

    async def handle(self, request: web.Request) -> web.StreamResponse:
        charge_point_id = request.match_info["charge_point_id"]
        if not CHARGE_POINT_ID.match(charge_point_id):
            return web.Response(status=404, text="Unknown charge point.")
        with structlog.contextvars.bound_contextvars(charge_point_id=charge_point_id):
            refusal = await self.guard.refusal(request, charge_point_id)
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
        reason = "closed"
        try:
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
            await session.start()
        except ConnectionClosed as closed:
            reason = str(closed)
        finally:
            # Shielded: the handler is cancelled when the charge point's TCP connection drops at the
            # wrong moment, and a half-done release would leave the registry, the command binding
            # and the presence row claiming a charge point that is gone.
            await asyncio.shield(self._release(live, reason))

    async def _release(self, live: LiveConnection, reason: str) -> None:
        if self.registry.release(live):
            await self.commands.unbind(live.charge_point_id)
        await self.presence.release(live.charge_point_id, live.epoch)
        log.info("connection.closed", epoch=live.epoch, reason=reason, close_code=live.socket.close_code)
        await self._announce(
            ChargePointDisconnected(
                charge_point_id=live.charge_point_id, node_id=self.settings.node_id, epoch=live.epoch, reason=reason
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

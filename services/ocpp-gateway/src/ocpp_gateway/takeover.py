"""Charge points hopping between gateway nodes: the newest connection (highest epoch) wins.

A charge point may reconnect to another node while its old socket still looks alive (a half-open
TCP connection), so for a moment two nodes hold it and both have bound its id for commands. Two
rules keep that harmless: a command is executed only by the connection the presence table names
as current (:meth:`Takeover.decide`), and every node closes its own socket as soon as it hears of
a newer connection elsewhere (``chargepoint.connection.opened`` events).
"""

from __future__ import annotations

from enum import Enum

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from ladeplan_contracts.envelope import parse_envelope
from ladeplan_contracts.events import ChargePointConnected
from ladeplan_contracts.names import EVENTS_EXCHANGE
from ocpp_gateway.registry import LiveConnection, Registry
from ocpp_gateway.repository import PresenceRepository

log = structlog.get_logger("ocpp_gateway.takeover")

CLOSE_REPLACED = 4000  # application close code: a newer connection of the same charge point took over


class Verdict(Enum):
    EXECUTE = "execute"  # this node holds the current connection
    OFFLINE = "offline"  # nobody holds it: answer offline
    STALE = "stale"  # this node's socket was superseded: close it, stay silent
    ELSEWHERE = "elsewhere"  # another node holds it and answers: stay silent


def verdict(node_id: str, live: LiveConnection | None, holder: tuple[str, int] | None) -> Verdict:
    """Pure rule: who answers a command, given this node's socket and the presence table's holder."""
    if live is not None:
        return Verdict.EXECUTE if holder == (node_id, live.epoch) else Verdict.STALE
    # Held by nobody, or by this node's own connection that is just closing: offline.
    return Verdict.OFFLINE if holder is None or holder[0] == node_id else Verdict.ELSEWHERE


class Takeover:
    def __init__(self, amqp_url: str, node_id: str, registry: Registry, presence: PresenceRepository) -> None:
        self._url = amqp_url
        self._node_id = node_id
        self._registry = registry
        self._presence = presence
        self._connection: AbstractRobustConnection | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=ChargePointConnected.TYPE)
        await queue.consume(self._on_connected, no_ack=True)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def decide(self, charge_point_id: str) -> tuple[Verdict, LiveConnection | None]:
        live = self._registry.get(charge_point_id)
        result = verdict(self._node_id, live, await self._presence.holder(charge_point_id))
        if result is Verdict.STALE and live is not None:
            await self.retire(live, reason="a newer connection holds the charge point")
        return result, live

    async def retire(self, live: LiveConnection, *, reason: str) -> None:
        log.info("connection.taken_over", charge_point_id=live.charge_point_id, epoch=live.epoch, reason=reason)
        await live.socket.close(code=CLOSE_REPLACED, message=b"Replaced by a newer connection.")

    async def _on_connected(self, message: AbstractIncomingMessage) -> None:
        event = parse_envelope(message.body, ChargePointConnected).data
        live = self._registry.get(event.charge_point_id)
        if live is not None and event.epoch > live.epoch:
            await self.retire(live, reason=f"reconnected to node {event.node_id} (epoch {event.epoch})")

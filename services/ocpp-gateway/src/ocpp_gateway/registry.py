"""The charge points whose sockets this node holds, each with the epoch of its connection."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from ocpp_gateway.handlers.base import ChargePointSession


@dataclass(eq=False)
class LiveConnection:
    charge_point_id: str
    session: ChargePointSession
    socket: web.WebSocketResponse
    epoch: int
    ocpp_version: str


@dataclass
class Registry:
    _live: dict[str, LiveConnection] = field(default_factory=dict)

    def get(self, charge_point_id: str) -> LiveConnection | None:
        return self._live.get(charge_point_id)

    def take_over(self, connection: LiveConnection) -> LiveConnection | None:
        """Register ``connection``; returns the connection it replaces (to be closed by the caller)."""
        previous = self._live.get(connection.charge_point_id)
        self._live[connection.charge_point_id] = connection
        return previous

    def release(self, connection: LiveConnection) -> bool:
        """Forget ``connection`` unless a newer one took its place; True when it was the current one."""
        if self._live.get(connection.charge_point_id) is connection:
            del self._live[connection.charge_point_id]
            return True
        return False

    def all(self) -> list[LiveConnection]:
        return list(self._live.values())

    def __len__(self) -> int:
        return len(self._live)

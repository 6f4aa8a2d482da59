"""What every version's charge point session shares: identity, upstream port and command timeouts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import structlog

from ladeplan_contracts.commands import CommandBody, CommandReply
from ocpp_gateway.protocol import Connection, GatewayProtocol
from ocpp_gateway.upstream import Upstream

log = structlog.get_logger("ocpp_gateway.handlers")


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class ChargePointSession(GatewayProtocol):
    """State of one connected charge point; subclasses add the version's ``@on`` handlers."""

    def __init__(
        self, charge_point_id: str, connection: Connection, upstream: Upstream, *, heartbeat_interval_s: int
    ) -> None:
        super().__init__(charge_point_id, connection)  # type: ignore[call-arg]
        self.upstream = upstream
        self.heartbeat_interval_s = heartbeat_interval_s

    async def execute(self, command: CommandBody, timeout_s: float) -> CommandReply:
        """Run a contract command as this version's CALL and report the charge point's answer."""
        try:
            return await asyncio.wait_for(self._execute(command), timeout_s)
        except TimeoutError:
            return CommandReply(status="timeout", detail=f"No answer within {timeout_s:g} s.")
        except NotImplementedError as exc:
            return CommandReply(status="not_supported", detail=str(exc))

    async def _execute(self, command: CommandBody) -> CommandReply:
        raise NotImplementedError(command.kind)

    async def call_checked(self, payload: Any) -> Any:
        """A CALL whose CALLERROR becomes an exception (the package's default swallows it)."""
        return await self.call(payload, suppress=False)  # type: ignore[attr-defined]


def reply_from_status(status: str, response: dict[str, Any]) -> CommandReply:
    return CommandReply(status="accepted" if status == "Accepted" else "rejected", detail=status, response=response)

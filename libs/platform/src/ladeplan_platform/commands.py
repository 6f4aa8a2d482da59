"""Send a version-neutral command to a charge point and get its answer.

Published ``mandatory`` to ``ladeplan.commands`` with the charge point id as routing key: only the
gateway node holding the socket has that binding, so an unconnected charge point is answered
``offline`` at once instead of the command waiting or vanishing.
"""

from __future__ import annotations

from ladeplan_contracts.commands import Command, CommandBody, CommandReply
from ladeplan_contracts.envelope import new_envelope, parse_envelope
from ladeplan_contracts.names import COMMANDS_EXCHANGE
from ladeplan_platform.rpc import RpcClient, RpcTimeout, Unroutable

# Time the gateway needs beyond the charge point's own answer window (bus hops, serialisation).
_GRACE_S = 5.0


class CommandClient:
    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def send(self, charge_point_id: str, command: CommandBody, *, timeout_s: float = 30.0) -> CommandReply:
        envelope = new_envelope(
            Command(charge_point_id=charge_point_id, command=command, timeout_s=timeout_s),
            charge_point_id=charge_point_id,
        )
        try:
            raw = await self._rpc.request_raw(
                envelope,
                exchange=COMMANDS_EXCHANGE,
                routing_key=charge_point_id,
                timeout=timeout_s + _GRACE_S,
            )
        except Unroutable:
            return CommandReply(status="offline", detail="The charge point is not connected.")
        except RpcTimeout:
            return CommandReply(status="timeout", detail="No answer from the charge point in time.")
        return parse_envelope(raw, CommandReply).data

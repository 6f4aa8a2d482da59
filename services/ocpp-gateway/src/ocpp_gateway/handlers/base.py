"""What every version's charge point session shares: identity, upstream port and contract commands.

A contract command is mapped to the version's CALL by a pure function (``domain/commands_v16.py``,
``domain/commands_v2.py``), sent here, and the answer is read back by ``domain/command_calls.py``.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from ocpp.charge_point import remove_nones
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, MessageType

from ladeplan_contracts.commands import CommandBody, CommandReply
from ocpp_gateway import casing, schemas
from ocpp_gateway.domain.command_calls import Inapplicable, OcppCall, Unsupported, interpret
from ocpp_gateway.protocol import Connection, GatewayProtocol
from ocpp_gateway.upstream import Upstream

log = structlog.get_logger("ocpp_gateway.handlers")

_NOT_SUPPORTED_ERRORS = frozenset({"NotImplemented", "NotSupported"})


class CallErrorAnswer(Exception):
    """The charge point answered our CALL with a CALLERROR (any code, also 1.6 spellings the package lacks)."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def new_request_id() -> int:
    """A positive 32-bit id for 2.x requests; random, so ids stay unique across gateway restarts."""
    return secrets.randbelow(2**31 - 2) + 1


class ChargePointSession(GatewayProtocol):
    """State of one connected charge point; subclasses add the version's ``@on`` handlers."""

    # Provided by the ocpp package's ChargePoint.
    _call_lock: asyncio.Lock
    _send: Any
    _get_specific_response: Any

    def __init__(
        self, charge_point_id: str, connection: Connection, upstream: Upstream, *, heartbeat_interval_s: int
    ) -> None:
        super().__init__(charge_point_id, connection)  # type: ignore[call-arg]
        self.upstream = upstream
        self.heartbeat_interval_s = heartbeat_interval_s
        self.last_frame_at = time.time()  # the handshake counts as being seen

    def command_call(self, command: CommandBody) -> OcppCall:
        """This version's CALL for ``command``; raises ``Unsupported`` or ``Inapplicable``."""
        raise Unsupported(f"{command.kind} is not supported.")

    async def execute(self, command: CommandBody, timeout_s: float) -> CommandReply:
        """Run a contract command as this version's CALL and report the charge point's answer."""
        try:
            request = self.command_call(command)
            response = await self.call_raw(request, timeout_s)
        except Unsupported as exc:
            return CommandReply(status="not_supported", detail=str(exc))
        except Inapplicable as exc:
            return CommandReply(status="rejected", detail=str(exc))
        except TimeoutError:
            return CommandReply(status="timeout", detail=f"No answer within {timeout_s:g} s.")
        except CallErrorAnswer as exc:
            status = "not_supported" if exc.code in _NOT_SUPPORTED_ERRORS else "error"
            return CommandReply(status=status, detail=str(exc))
        except OCPPError as exc:
            # The answer violates the version's schema.
            return CommandReply(status="error", detail=f"Invalid answer: {exc.code}: {exc.description}")
        status, detail = interpret(response)
        return CommandReply(status=status, detail=detail, response=response)

    async def call_raw(self, request: OcppCall, timeout_s: float) -> dict[str, Any]:
        """Send ``request`` and return the answer's payload (snake_case); a CALLERROR is raised.

        Done here rather than with the package's ``call()``, which converts every key between
        snake_case and camelCase: a DataTransfer's vendor ``data`` must travel untouched both ways.
        Uses the package's CALL lock and response queue, as ``call()`` does (``ocpp`` is pinned).
        """
        opaque = request.action == "DataTransfer"
        fields = {k: v for k, v in request.payload.items() if not (opaque and k == "data")}
        payload: dict[str, Any] = remove_nones(casing.to_camel(fields))
        if opaque and request.payload.get("data") is not None:
            payload["data"] = request.payload["data"]
        call = Call(unique_id=str(uuid.uuid4()), action=request.action, payload=payload)
        try:
            await schemas.validate(call, self._ocpp_version)
        except OCPPError as exc:
            cause = exc.details.get("cause") if isinstance(exc.details, dict) else exc.description
            raise Inapplicable(f"The command does not fit OCPP {self._ocpp_version}: {cause}") from exc
        async with asyncio.timeout(timeout_s), self._call_lock:
            await self._send(call.to_json())
            response = await self._get_specific_response(call.unique_id, timeout_s)
        if response.message_type_id == MessageType.CallError:
            raise CallErrorAnswer(str(response.error_code), str(response.error_description))
        response.action = call.action
        # Kept before validating: for some 1.6 answers validation swaps the payload for a Decimal copy,
        # which would reach the bus as strings ("16.0") instead of the charge point's numbers.
        answer = response.payload
        await schemas.validate(response, self._ocpp_version)
        result: dict[str, Any] = casing.to_snake(answer)
        if opaque and "data" in answer:
            result["data"] = answer["data"]
        return result

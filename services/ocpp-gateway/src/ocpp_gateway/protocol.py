"""OCPP-J framing on top of the ``ocpp`` package: strict answers to bad frames, spans and logs per CALL.

The package's own routing drops frames that are not JSON, leaves unhandled 2.1 actions without
any answer and sends validation details that may not serialise; the gateway owes every charge
point a CALLERROR it can act on, so routing is done here and only the schemas, payload classes
and ``@on`` handler registry come from the package.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Callable, Coroutine
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

import structlog
from ocpp.charge_point import remove_nones, serialize_as_dict
from ocpp.exceptions import NotImplementedError as OcppNotImplementedError
from ocpp.exceptions import NotSupportedError, OCPPError
from ocpp.messages import Call, CallError, CallResult, MessageType
from ocpp.v16 import enums as v16_enums
from ocpp.v21 import enums as v21_enums
from ocpp.v201 import enums as v201_enums
from opentelemetry import trace

from ocpp_gateway import casing, schemas
from ocpp_gateway.domain.errors import error_code_for

log = structlog.get_logger("ocpp_gateway.protocol")
_tracer = trace.get_tracer("ocpp_gateway")

MAX_UNIQUE_ID_LENGTH = 36
# Answers queued while one CALL of ours waits: the right one plus a few stale ones, never a flood.
MAX_QUEUED_ANSWERS = 8
# Text a charge point controls is cut to this length in logs and span names (a frame may be 256 KiB).
MAX_LOGGED_CHARS = 200


class NoReply(Exception):
    """Leave the CALL unanswered: nothing was decided or stored, so the charge point must retry it."""


class Connection(Protocol):
    async def recv(self) -> str: ...

    async def send(self, message: str) -> None: ...


class FrameError(Exception):
    """A frame that is not a well-formed OCPP-J message; answered with ``code`` under ``unique_id``."""

    def __init__(self, code: str, description: str, unique_id: str = "-1") -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.unique_id = unique_id


def parse_frame(raw: str | bytes) -> Call | CallResult | CallError:
    """Decode an OCPP-J frame; numbers stay ``Decimal`` so meter values keep their exact text."""
    try:
        return _parse_frame(raw)
    except RecursionError as exc:
        # JSON nested deeper than the interpreter's recursion limit (found by the fuzz test): without
        # this the error would end the charge point's session instead of earning it a CALLERROR.
        raise FrameError("RpcFrameworkError", "The frame is nested too deeply to read.") from exc


def _parse_frame(raw: str | bytes) -> Call | CallResult | CallError:
    try:
        frame = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError("RpcFrameworkError", "The frame is not valid JSON.") from exc
    if not isinstance(frame, list) or len(frame) < 3:
        raise FrameError("RpcFrameworkError", "An OCPP-J frame is a JSON array of 3 to 5 elements.")
    message_type, unique_id = frame[0], frame[1]
    if not isinstance(unique_id, str) or not unique_id or len(unique_id) > MAX_UNIQUE_ID_LENGTH:
        raise FrameError("RpcFrameworkError", "The message id must be a string of 1 to 36 characters.")
    if message_type == MessageType.Call:
        if len(frame) != 4 or not isinstance(frame[2], str):
            raise FrameError("FormatViolation", "A CALL is [2, id, action, payload].", unique_id)
        if not isinstance(frame[3], dict):
            raise FrameError("FormatViolation", "The CALL payload must be a JSON object.", unique_id)
        return Call(unique_id, frame[2], frame[3])
    if message_type == MessageType.CallResult and len(frame) == 3:
        # Answers to our CALLs are validated by the ``ocpp`` package, which serialises them with plain json.
        return CallResult(unique_id, _plain_floats(frame[2]))
    if message_type == MessageType.CallError and len(frame) in (4, 5):
        return CallError(unique_id, frame[2], frame[3], _plain_floats(frame[4]) if len(frame) == 5 else {})
    raise FrameError("MessageTypeNotSupported", f"Message type {message_type!r} is not supported.", unique_id)


_ACTIONS = {"1.6": v16_enums.Action, "2.0.1": v201_enums.Action, "2.1": v21_enums.Action}
_ACTION_NAMES = {version: frozenset(action.value for action in enum) for version, enum in _ACTIONS.items()}


def is_action(action: str, version: str) -> bool:
    """True when ``action`` is a message of OCPP ``version``, handled here or not."""
    return action in _ACTION_NAMES[version]


def unhandled_action_error(action: str, version: str) -> OCPPError:
    """NotImplemented for an action of the version we do not handle, NotSupported for one it lacks.

    (The package's own check knows no 2.1 and leaves such CALLs unanswered.)
    """
    if not is_action(action, version):
        shown = action[:MAX_LOGGED_CHARS]
        return NotSupportedError(details={"cause": f"{shown} is not an OCPP {version} action."})
    return OcppNotImplementedError(details={"cause": f"{action} is not handled by this backend."})


@cache
def _wants_unique_id(function: Callable[..., Any]) -> bool:
    # Reading a signature costs ~30 µs; the handlers are fixed, so once per handler is enough.
    return "call_unique_id" in inspect.signature(function).parameters


def _plain_floats(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_floats(v) for v in value]
    return value


class GatewayProtocol:
    """Mixed in before ``ocpp.v16.ChargePoint``/``ocpp.v201.ChargePoint``; replaces their routing."""

    id: str
    _ocpp_version: str
    route_map: dict[str, dict[str, Any]]
    _response_queue: Any
    _call_lock: asyncio.Lock
    _connection: Connection
    # Provided by the ocpp package's ChargePoint: read frames and route them until the socket closes.
    start: Callable[[], Coroutine[Any, Any, None]]
    # Wall-clock time of the last frame received; read in batches by ``last_seen`` (no write per frame).
    last_frame_at: float = 0.0

    async def route_message(self, raw_msg: str) -> None:
        self.last_frame_at = time.time()
        try:
            msg = parse_frame(raw_msg)
        except FrameError as exc:
            log.warning("ocpp.bad_frame", code=exc.code, reason=exc.description, frame=str(raw_msg)[:MAX_LOGGED_CHARS])
            await self._send_error(exc.unique_id, exc.code, exc.description)
            return
        if isinstance(msg, Call):
            await self._dispatch(msg)
        elif self._call_lock.locked() and self._response_queue.qsize() < MAX_QUEUED_ANSWERS:
            self._response_queue.put_nowait(msg)
        else:
            # Nobody waits for it (no CALL of ours is open) or the charge point floods answers: an
            # answer cannot be answered, and queueing it would let a charge point fill our memory.
            log.info("ocpp.unexpected_answer", message_id=msg.unique_id)

    async def _dispatch(self, msg: Call) -> None:
        # The action is the charge point's text: an unknown one is cut short in logs and shares one
        # span name (span names are an index in tracing backends, not a place for arbitrary input).
        action = msg.action[:MAX_LOGGED_CHARS]
        span_name = f"ocpp {action}" if is_action(msg.action, self._ocpp_version) else "ocpp (unknown action)"
        # Attributes given at the start: each set_attribute takes the span's lock once more.
        attributes = {
            "ocpp.charge_point_id": self.id,
            "ocpp.version": self._ocpp_version,
            "ocpp.message_id": msg.unique_id,
        }
        with _tracer.start_as_current_span(span_name, kind=trace.SpanKind.SERVER, attributes=attributes):
            try:
                payload = await self._answer(msg)
            except NoReply:
                log.warning("ocpp.call_left_unanswered", action=action, message_id=msg.unique_id)
                return
            except OCPPError as exc:
                log.info(
                    "ocpp.call_error",
                    action=action,
                    code=exc.code,
                    reason=str(exc.details or exc.description)[:MAX_LOGGED_CHARS],
                )
                await self._send_error(msg.unique_id, exc.code, exc.description, exc.details)
                return
            except Exception:
                log.exception("ocpp.handler_failed", action=action, message_id=msg.unique_id)
                await self._send_error(msg.unique_id, "InternalError", "The backend failed to handle the request.")
                return
            await self._connection.send(payload)

    async def _answer(self, msg: Call) -> str:
        handlers = self.route_map.get(msg.action)
        if handlers is None or "_on_action" not in handlers:
            raise unhandled_action_error(msg.action, self._ocpp_version)
        await schemas.validate(msg, self._ocpp_version)
        handler = handlers["_on_action"]
        kwargs = casing.to_snake(msg.payload)
        if _wants_unique_id(handler.__func__):
            kwargs["call_unique_id"] = msg.unique_id
        response = handler(**kwargs)
        if inspect.isawaitable(response):
            response = await response
        result = msg.create_call_result(casing.to_camel(remove_nones(serialize_as_dict(response))))
        # Our own answers are validated too: a schema-violating reply is a bug to surface, not to send.
        await schemas.validate(result, self._ocpp_version)
        return str(result.to_json())

    async def _send_error(self, unique_id: str, code: str, description: str, details: Any = None) -> None:
        cause = details.get("cause") if isinstance(details, dict) else None
        error = CallError(
            unique_id,
            error_code_for(self._ocpp_version, code),
            description,
            {"cause": str(cause)[:500]} if cause else {},
        )
        await self._connection.send(error.to_json())

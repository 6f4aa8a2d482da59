"""OSCP 2.0 entry points under ``/oscp/fp/2.0/`` (ladeplan's side of the link, see ``use_cases/oscp.py``).

Each message is a POST with ``Authorization: Token <token>`` and ``X-Request-ID``; an accepted one
is answered ``204 No Content``. A missing or foreign token is 401, a message that is not valid
(bad JSON, a field of the wrong type or enumeration, a missing ``X-Request-ID``, inconsistent
segment headers, an unknown group) is 400 with a JSON ``{"error", "reason"}`` saying why.

Segmented messages (``X-Segment-Index`` of ``X-Segment-Count``) are applied segment by segment: a
forecast's segments cover separate periods, and each replaces only the blocks its own period
overlaps (``capacity.merge_blocks``), so the result is the same as for the whole message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from aiohttp import web
from pydantic import BaseModel, ValidationError

from ems_adapter.config import OSCP_PATH
from ems_adapter.domain.oscp import (
    GroupCapacityForecast,
    Handshake,
    HandshakeAcknowledgement,
    Heartbeat,
    Register,
)
from ems_adapter.state import OSCP
from ems_adapter.use_cases.oscp import Oscp, OscpRejected, OscpUnauthorized
from ladeplan_platform.http import ApiError

log = structlog.get_logger("ems_adapter.oscp_api")
routes = web.RouteTableDef()
MessageT = TypeVar("MessageT", bound=BaseModel)
NO_CONTENT = 204


async def _receive(
    request: web.Request, model: type[MessageT], *, registering: bool = False
) -> tuple[Oscp, MessageT, bool]:
    """The link, the checked message and whether the out-of-band initial token authenticated it.

    Asynchronous answers (our Register back, a HandshakeAcknowledgement, a compliance error) carry
    this request's X-Request-ID as their X-Correlation-ID.
    """
    oscp = request.app.get(OSCP)
    if oscp is None:
        raise ApiError(404, "oscp_disabled", "OSCP is not configured here (OSCP_GROUPS).")
    try:
        initial = oscp.authenticate(request.headers.get("Authorization"), registering=registering)
    except OscpUnauthorized as exc:
        raise ApiError(401, "unauthorized", str(exc)) from exc
    request_id = request.headers.get("X-Request-ID", "").strip()
    if not request_id:
        raise ApiError(400, "missing_request_id", "The X-Request-ID header is required.")
    _check_segments(request)
    try:
        message = model.model_validate_json(await request.read())
    except ValidationError as exc:
        reasons = [
            {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise ApiError(400, "invalid_message", f"Not a valid {model.__name__} message.", reasons) from exc
    log.info("oscp.received", message=model.__name__, request_id=request_id,
             correlation_id=request.headers.get("X-Correlation-ID"))  # fmt: skip
    return oscp, message, initial


def _check_segments(request: web.Request) -> None:
    index, count = request.headers.get("X-Segment-Index"), request.headers.get("X-Segment-Count")
    if index is None and count is None:
        return
    try:
        position, total = int(index or ""), int(count or "")
    except ValueError as exc:
        raise ApiError(400, "invalid_segment", "X-Segment-Index and X-Segment-Count must be integers, both.") from exc
    if total < 1 or not 0 <= position <= total:
        raise ApiError(400, "invalid_segment", "X-Segment-Index must lie within X-Segment-Count.")


def _request_id(request: web.Request) -> str:
    return request.headers["X-Request-ID"].strip()  # present: _receive checked it


async def _accept(action: Callable[[], Awaitable[None]]) -> web.Response:
    try:
        await action()
    except OscpRejected as exc:
        raise ApiError(400, exc.code, exc.reason) from exc
    return web.Response(status=NO_CONTENT)


@routes.post(f"{OSCP_PATH}/register")
async def register(request: web.Request) -> web.Response:
    oscp, message, initial = await _receive(request, Register, registering=True)
    return await _accept(lambda: oscp.register(message, initial=initial, request_id=_request_id(request)))


@routes.post(f"{OSCP_PATH}/handshake")
async def handshake(request: web.Request) -> web.Response:
    oscp, message, _ = await _receive(request, Handshake)
    return await _accept(lambda: oscp.handshake(message, request_id=_request_id(request)))


@routes.post(f"{OSCP_PATH}/handshake_acknowledgement")
async def handshake_acknowledgement(request: web.Request) -> web.Response:
    oscp, message, _ = await _receive(request, HandshakeAcknowledgement)
    return await _accept(lambda: oscp.handshake_acknowledgement(message))


@routes.post(f"{OSCP_PATH}/heartbeat")
async def heartbeat(request: web.Request) -> web.Response:
    oscp, message, _ = await _receive(request, Heartbeat)
    return await _accept(lambda: oscp.heartbeat(message))


@routes.post(f"{OSCP_PATH}/update_group_capacity_forecast")
async def update_group_capacity_forecast(request: web.Request) -> web.Response:
    oscp, message, _ = await _receive(request, GroupCapacityForecast)
    return await _accept(lambda: oscp.capacity_forecast(message, request_id=_request_id(request)))


@routes.post(f"{OSCP_PATH}/adjust_group_capacity_forecast")
async def adjust_group_capacity_forecast(request: web.Request) -> web.Response:
    oscp, message, _ = await _receive(request, GroupCapacityForecast)
    return await _accept(lambda: oscp.capacity_forecast(message, adjusted=True, request_id=_request_id(request)))

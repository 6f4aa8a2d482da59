"""Operator HTTP API under ``/api/v1``: read sessions, start and stop charging remotely.

Views parse and validate, call a use case through the app's typed state, and map domain
outcomes to HTTP (unknown -> 404, already completed -> 409). Authentication is middleware.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from ladeplan_contracts.commands import CommandReply
from ladeplan_platform.http import Api, ApiError, json_response, parse_body, parse_query
from session_manager.domain.session import SessionAlreadyCompleted, SessionNotFound
from session_manager.handlers.schemas import (
    RemoteStartBody,
    SessionDetail,
    SessionList,
    SessionListQuery,
    SessionOut,
)
from session_manager.state import QUERIES, REMOTE_CONTROL

api = Api(title="ladeplan session-manager operator API")


def _session_id(request: web.Request) -> uuid.UUID:
    raw = request.match_info["session_id"]
    try:
        return uuid.UUID(raw)
    except ValueError:
        # A malformed id names no session: the same answer as an unknown one, not a server error.
        raise _not_found(raw) from None


def _not_found(session_id: object) -> ApiError:
    return ApiError(404, "session_not_found", f"No session {session_id}.")


@api.route(
    "GET",
    "/api/v1/sessions",
    summary="Sessions, newest first, optionally of one charge point or in one status.",
    query=SessionListQuery,
    response=SessionList,
    errors=(422,),
)
async def list_sessions(request: web.Request) -> web.Response:
    query = parse_query(request, SessionListQuery)
    sessions = await request.app[QUERIES].newest(
        charge_point_id=query.charge_point_id, status=query.status, limit=query.limit
    )
    return json_response(SessionList(items=[SessionOut.model_validate(s) for s in sessions]))


@api.route(
    "GET",
    "/api/v1/sessions/{session_id}",
    summary="One session with every meter value received for it.",
    response=SessionDetail,
    errors=(404,),
)
async def get_session(request: web.Request) -> web.Response:
    session_id = _session_id(request)
    try:
        found = await request.app[QUERIES].get(session_id)
    except SessionNotFound:
        raise _not_found(session_id) from None
    return json_response(SessionDetail.of(found))


@api.route(
    "POST",
    "/api/v1/charge-points/{charge_point_id}/remote-start",
    summary="Ask a charge point to start charging for a token; answers with the charge point's reply "
    "(or offline/timeout when none came).",
    request=RemoteStartBody,
    response=CommandReply,
    errors=(422,),
)
async def remote_start(request: web.Request) -> web.Response:
    body = await parse_body(request, RemoteStartBody)
    reply = await request.app[REMOTE_CONTROL].start(request.match_info["charge_point_id"], body.token_uid, body.evse_id)
    return json_response(reply)


@api.route(
    "POST",
    "/api/v1/sessions/{session_id}/remote-stop",
    summary="Ask the charge point to stop the session's transaction; the session completes when it ends.",
    response=CommandReply,
    errors=(404, 409),
)
async def remote_stop(request: web.Request) -> web.Response:
    session_id = _session_id(request)
    try:
        reply = await request.app[REMOTE_CONTROL].stop(session_id)
    except SessionNotFound:
        raise _not_found(session_id) from None
    except SessionAlreadyCompleted:
        raise ApiError(409, "session_completed", f"Session {session_id} has already ended.") from None
    return json_response(reply)

"""Operator HTTP API under ``/api/v1``: receipts, their exports, and the meters' public keys.

Views parse and validate, call a use case through the app's typed state, and map outcomes to
HTTP (no receipt -> 404, session still running -> 409). Authentication is middleware. The
export routes are declared before ``/receipts/{session_id}``: aiohttp tries routes in order, and
the plain pattern would also match ``<id>.xml``.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from ladeplan_platform.http import Api, ApiError, json_response, parse_body, parse_query
from receipts.handlers.schemas import (
    MeterKeyIn,
    MeterKeyList,
    MeterKeyOut,
    ReceiptDetailOut,
    ReceiptExport,
    ReceiptList,
    ReceiptListQuery,
    ReceiptOut,
    ReceiptQuery,
)
from receipts.state import METER_KEYS, QUERIES, SESSIONS
from receipts.use_cases.meter_keys import InvalidKey
from receipts.use_cases.queries import ReceiptDetail, ReceiptNotFound
from receipts.use_cases.sessions import SessionNotCompleted, SessionNotFound

api = Api(title="ladeplan receipts operator API")


def _session_id(request: web.Request) -> uuid.UUID:
    raw = request.match_info["session_id"]
    try:
        return uuid.UUID(raw)
    except ValueError:
        # A malformed id names no session: the same answer as an unknown one, not a server error.
        raise _no_receipt(raw) from None


def _no_receipt(session_id: object) -> ApiError:
    return ApiError(404, "receipt_not_found", f"No receipt has been issued for session {session_id}.")


async def _detail(request: web.Request) -> ReceiptDetail:
    session_id = _session_id(request)
    query = parse_query(request, ReceiptQuery)
    try:
        return await request.app[QUERIES].receipt(session_id, query.version)
    except ReceiptNotFound:
        raise _no_receipt(session_id) from None


@api.route(
    "GET",
    "/api/v1/receipts",
    summary="Current receipts, newest first, optionally of one charge point or with one status.",
    query=ReceiptListQuery,
    response=ReceiptList,
    errors=(422,),
)
async def list_receipts(request: web.Request) -> web.Response:
    query = parse_query(request, ReceiptListQuery)
    receipts = await request.app[QUERIES].newest(
        charge_point_id=query.charge_point_id, status=query.status, limit=query.limit
    )
    return json_response(ReceiptList(items=[ReceiptOut.of(receipt) for receipt in receipts]))


@api.route(
    "GET",
    "/api/v1/receipts/{session_id}.xml",
    summary="The receipt as the S.A.F.E. Transparenzsoftware's XML container (signed data and meter key).",
    query=ReceiptQuery,
    errors=(404, 409, 422),
)
async def receipt_xml(request: web.Request) -> web.Response:
    detail = await _detail(request)
    if not detail.export_values:
        raise ApiError(409, "no_signed_data", "The session has no signed meter data to check.")
    return web.Response(
        text=detail.transparency_xml(),
        content_type="application/xml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="receipt-{detail.receipt.session_id}.xml"'},
    )


@api.route(
    "GET",
    "/api/v1/receipts/{session_id}.ocmf.json",
    summary="The receipt's signed data (OCMF and the other formats, exactly as sent) with the key, as JSON.",
    query=ReceiptQuery,
    response=ReceiptExport,
    errors=(404, 422),
)
async def receipt_json(request: web.Request) -> web.Response:
    return json_response(ReceiptExport.of_detail(await _detail(request)))


@api.route(
    "GET",
    "/api/v1/receipts/{session_id}",
    summary="A session's receipt: verdict, readings, key and every signed record as stored.",
    query=ReceiptQuery,
    response=ReceiptDetailOut,
    errors=(404, 422),
)
async def get_receipt(request: web.Request) -> web.Response:
    return json_response(ReceiptDetailOut.of_detail(await _detail(request)))


@api.route(
    "POST",
    "/api/v1/receipts/{session_id}/reissue",
    summary="Check the session again with the keys known now and issue a new receipt version.",
    response=ReceiptDetailOut,
    status=201,
    errors=(404, 409),
)
async def reissue_receipt(request: web.Request) -> web.Response:
    session_id = _session_id(request)
    try:
        await request.app[SESSIONS].reissue(session_id)
    except SessionNotFound:
        raise ApiError(404, "session_not_found", f"No session {session_id} has been announced.") from None
    except SessionNotCompleted:
        raise ApiError(409, "session_running", f"Session {session_id} has not ended yet.") from None
    detail = await request.app[QUERIES].receipt(session_id)
    return json_response(ReceiptDetailOut.of_detail(detail), 201)


def _evse_id(request: web.Request) -> int:
    raw = request.match_info["evse_id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        detail = [{"field": "evse_id", "message": "a whole number, 0 for every EVSE"}]
        raise ApiError(422, "invalid_path", "The EVSE id is not valid.", detail)
    return int(raw)


@api.route(
    "PUT",
    "/api/v1/charge-points/{charge_point_id}/meter-keys/{evse_id}",
    summary="Record the public key the EVSE's meter signs with (0: every EVSE of the charge point).",
    request=MeterKeyIn,
    response=MeterKeyOut,
    errors=(422,),
)
async def put_meter_key(request: web.Request) -> web.Response:
    evse_id = _evse_id(request)
    body = await parse_body(request, MeterKeyIn)
    try:
        record = await request.app[METER_KEYS].configure(
            request.match_info["charge_point_id"], evse_id, body.public_key, body.encoding
        )
    except InvalidKey as error:
        detail = [{"field": "public_key", "message": str(error), "type": "invalid_key"}]
        raise ApiError(422, "invalid_body", "The request body is not valid.", detail) from None
    return json_response(MeterKeyOut.of(record))


@api.route(
    "GET",
    "/api/v1/charge-points/{charge_point_id}/meter-keys",
    summary="Every meter key recorded for the charge point, newest first, with its source.",
    response=MeterKeyList,
)
async def list_meter_keys(request: web.Request) -> web.Response:
    records = await request.app[METER_KEYS].history(request.match_info["charge_point_id"])
    return json_response(MeterKeyList(items=[MeterKeyOut.of(record) for record in records]))

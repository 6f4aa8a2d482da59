"""The operator REST API under ``/api/v1``: decode a body, call a use case, encode the result.

Routes are declared on :data:`api`, which also generates the OpenAPI document served at
``/api/v1/openapi.json``. Domain errors become HTTP errors in :func:`domain_errors`.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from ladeplan_platform.http import Api, ApiError, Handler, json_response, parse_body, parse_query
from masterdata.domain.errors import Duplicate, NotFound, UnknownReference
from masterdata.handlers.commands_api import add_command_routes
from masterdata.handlers.password_api import add_password_routes
from masterdata.handlers.schemas import (
    ChargePointIn,
    ChargePointList,
    ChargePointOut,
    ListQuery,
    LocationIn,
    LocationList,
    LocationOut,
    TokenIn,
    TokenList,
    TokenOut,
    TokenPatch,
    UserIn,
    UserList,
    UserOut,
)
from masterdata.handlers.status_schemas import ChargePointDetail, ChargePointStatusOut
from masterdata.status_projection import StatusProjection
from masterdata.use_cases import MasterData

MASTERDATA = web.AppKey("masterdata", MasterData)
"""The use cases, set by the app once the database and bus are connected."""

STATUS = web.AppKey("status", StatusProjection)
"""The charge point status read model, set by the app with the database."""


api = Api(title="ladeplan masterdata")


@web.middleware
async def domain_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map domain errors to the API's error bodies (rendered by ``error_middleware``)."""
    try:
        return await handler(request)
    except NotFound as exc:
        raise ApiError(404, "not_found", f"The {exc.entity} does not exist.") from exc
    except Duplicate as exc:
        raise ApiError(409, "conflict", exc.reason[:1].upper() + exc.reason[1:] + ".") from exc
    except UnknownReference as exc:
        # The same shape parse_body gives for any invalid field: the body names something absent.
        detail = [{"field": exc.field, "message": exc.reason, "type": "unknown_reference"}]
        raise ApiError(422, "invalid_body", "The request body is not valid.", detail) from exc


def _use_cases(request: web.Request) -> MasterData:
    return request.app[MASTERDATA]


def _created(body: LocationOut | ChargePointOut | UserOut | TokenOut, location: str) -> web.Response:
    response = json_response(body, 201)
    response.headers["Location"] = location
    return response


# --- locations -------------------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/locations",
    summary="Create a location",
    request=LocationIn,
    response=LocationOut,
    status=201,
    errors=(422,),
)
async def create_location(request: web.Request) -> web.Response:
    body = await parse_body(request, LocationIn)
    location = await _use_cases(request).create_location(body.name, body.timezone, body.grid_limit_kw)
    return _created(LocationOut.of(location), f"/api/v1/locations/{location.id}")


@api.route("GET", "/api/v1/locations", summary="List locations", response=LocationList, query=ListQuery, errors=(422,))
async def list_locations(request: web.Request) -> web.Response:
    page = parse_query(request, ListQuery)
    locations = await _use_cases(request).locations(page.limit, page.offset)
    return json_response(LocationList(items=[LocationOut.of(location) for location in locations]))


@api.route("GET", "/api/v1/locations/{location_id}", summary="Get a location", response=LocationOut, errors=(404,))
async def get_location(request: web.Request) -> web.Response:
    location = await _use_cases(request).location(request.match_info["location_id"])
    return json_response(LocationOut.of(location))


# --- charge points ---------------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/charge-points",
    summary="Register a charge point with its connectors and password",
    request=ChargePointIn,
    response=ChargePointOut,
    status=201,
    errors=(409, 422),
)
async def create_charge_point(request: web.Request) -> web.Response:
    body = await parse_body(request, ChargePointIn)
    charge_point = await _use_cases(request).create_charge_point(
        body.id, body.location_id, body.password, body.connector_records()
    )
    return _created(ChargePointOut.of(charge_point), f"/api/v1/charge-points/{charge_point.id}")


@api.route(
    "GET",
    "/api/v1/charge-points",
    summary="List charge points",
    response=ChargePointList,
    query=ListQuery,
    errors=(422,),
)
async def list_charge_points(request: web.Request) -> web.Response:
    page = parse_query(request, ListQuery)
    charge_points = await _use_cases(request).charge_points(page.limit, page.offset)
    return json_response(ChargePointList(items=[ChargePointOut.of(cp) for cp in charge_points]))


@api.route(
    "GET",
    "/api/v1/charge-points/{charge_point_id}",
    summary="Get a charge point with its connectors and status (connection, boot info, firmware, last seen)",
    response=ChargePointDetail,
    errors=(404,),
)
async def get_charge_point(request: web.Request) -> web.Response:
    charge_point = await _use_cases(request).charge_point(request.match_info["charge_point_id"])
    status = await request.app[STATUS].status(charge_point.id)
    out = ChargePointOut.of(charge_point)
    return json_response(ChargePointDetail(**dict(out), status=ChargePointStatusOut.of(status)))


# --- users and tokens ------------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/users",
    summary="Create a user",
    request=UserIn,
    response=UserOut,
    status=201,
    errors=(409, 422),
)
async def create_user(request: web.Request) -> web.Response:
    body = await parse_body(request, UserIn)
    user = await _use_cases(request).create_user(body.email, body.name)
    return _created(UserOut.of(user), f"/api/v1/users/{user.id}")


@api.route("GET", "/api/v1/users", summary="List users", response=UserList, query=ListQuery, errors=(422,))
async def list_users(request: web.Request) -> web.Response:
    page = parse_query(request, ListQuery)
    users = await _use_cases(request).users(page.limit, page.offset)
    return json_response(UserList(items=[UserOut.of(user) for user in users]))


@api.route("GET", "/api/v1/users/{user_id}", summary="Get a user", response=UserOut, errors=(404,))
async def get_user(request: web.Request) -> web.Response:
    user = await _use_cases(request).user(request.match_info["user_id"])
    return json_response(UserOut.of(user))


@api.route(
    "POST",
    "/api/v1/users/{user_id}/tokens",
    summary="Give a user a token (status active)",
    request=TokenIn,
    response=TokenOut,
    status=201,
    errors=(404, 409, 422),
)
async def create_token(request: web.Request) -> web.Response:
    body = await parse_body(request, TokenIn)
    token = await _use_cases(request).create_token(request.match_info["user_id"], body.uid, body.type)
    return _created(TokenOut.of(token), f"/api/v1/tokens/{quote(token.uid, safe='')}")


@api.route("GET", "/api/v1/users/{user_id}/tokens", summary="List a user's tokens", response=TokenList, errors=(404,))
async def list_user_tokens(request: web.Request) -> web.Response:
    tokens = await _use_cases(request).tokens(request.match_info["user_id"])
    return json_response(TokenList(items=[TokenOut.of(token) for token in tokens]))


@api.route(
    "GET",
    "/api/v1/tokens/{uid}",
    summary="Get a token (uid matched regardless of letter case)",
    response=TokenOut,
    errors=(404,),
)
async def get_token(request: web.Request) -> web.Response:
    token = await _use_cases(request).token(request.match_info["uid"])
    return json_response(TokenOut.of(token))


@api.route(
    "PATCH",
    "/api/v1/tokens/{uid}",
    summary="Activate, block or expire a token",
    request=TokenPatch,
    response=TokenOut,
    errors=(404, 422),
)
async def update_token(request: web.Request) -> web.Response:
    body = await parse_body(request, TokenPatch)
    token = await _use_cases(request).set_token_status(request.match_info["uid"], body.status)
    return json_response(TokenOut.of(token))


add_command_routes(api, MASTERDATA)
add_password_routes(api)


async def openapi(_: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of this API (public: it holds no data)."""
    return json_response(api.openapi())

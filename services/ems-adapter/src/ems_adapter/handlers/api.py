"""Operator HTTP API under ``/api/v1``: the current plan of a location; demand and plans of an external EMS."""

from __future__ import annotations

from aiohttp import web

from ems_adapter.api_models import ExternalPlanAccepted, ExternalPlanBody, LocationChargePoints, LocationDemand
from ems_adapter.domain.external_plan import PlanRejected
from ems_adapter.state import EXTERNAL, QUERIES
from ems_adapter.use_cases.external import NotExternal, UnknownLocation
from ladeplan_contracts.ems import PlanUpdated
from ladeplan_platform.http import Api, ApiError, json_response, parse_body

api = Api(title="ladeplan ems-adapter operator API")


@api.route(
    "GET",
    "/api/v1/locations/{location_id}/plan",
    summary="The location's current charging plan: power per session and slot (EMS_SLOT_SECONDS), each charge "
    "point's cap after the horizon, energy and cost (the body of the last ems.plan.updated).",
    response=PlanUpdated,
    errors=(404,),
)
async def get_plan(request: web.Request) -> web.Response:
    location_id = request.match_info["location_id"]
    plan = await request.app[QUERIES].latest(location_id)
    if plan is None:
        raise ApiError(404, "plan_not_found", f"No plan for location {location_id} (unknown, or never planned).")
    return json_response(plan)


@api.route(
    "GET",
    "/api/v1/locations/{location_id}/charge-points",
    summary="The location's charge points, each with the last read-back of its charging profiles: its composite "
    "schedule (GetCompositeSchedule) compared with what ladeplan installed after a replan.",
    response=LocationChargePoints,
    errors=(404,),
)
async def get_charge_points(request: web.Request) -> web.Response:
    location_id = request.match_info["location_id"]
    found = await request.app[QUERIES].charge_points(location_id)
    if found is None:
        raise ApiError(404, "location_not_found", f"No location {location_id}.")
    return json_response(found)


@api.route(
    "GET",
    "/api/v1/locations/{location_id}/demand",
    summary="What an external EMS plans with: each running session's estimated remaining energy, departure, "
    "minimum and maximum power, phases and where the values come from (the EV or ladeplan's defaults), the "
    "slot length and the location's limits.",
    response=LocationDemand,
    errors=(404,),
)
async def get_demand(request: web.Request) -> web.Response:
    location_id = request.match_info["location_id"]
    try:
        demand = await request.app[EXTERNAL].demand(location_id)
    except UnknownLocation as exc:
        raise ApiError(404, "location_not_found", f"No location {location_id}.") from exc
    return json_response(demand)


@api.route(
    "PUT",
    "/api/v1/locations/{location_id}/plan",
    summary="An external EMS's plan (power per running session and slot, kW). Checked against the location's "
    "limit per slot, each session's maximum and the 0-or-minimum rule (6 A per phase); when it keeps them it "
    "replaces the location's plan and goes out as charging profiles. Only for locations in EMS mode 'external'.",
    request=ExternalPlanBody,
    response=ExternalPlanAccepted,
    status=202,
    errors=(404, 409, 422),
)
async def put_plan(request: web.Request) -> web.Response:
    location_id = request.match_info["location_id"]
    body = await parse_body(request, ExternalPlanBody)
    try:
        accepted = await request.app[EXTERNAL].accept(location_id, body)
    except UnknownLocation as exc:
        raise ApiError(404, "location_not_found", f"No location {location_id}.") from exc
    except NotExternal as exc:
        raise ApiError(409, "not_external", f"Location {location_id} is not planned by an external EMS.") from exc
    except PlanRejected as exc:
        raise ApiError(422, "plan_rejected", "The plan breaks the location's rules.", exc.faults) from exc
    return json_response(accepted, 202)

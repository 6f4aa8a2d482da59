"""Operator HTTP API under ``/api/v1``: the current plan of a location."""

from __future__ import annotations

from aiohttp import web

from ems_adapter.state import QUERIES
from ladeplan_contracts.ems import PlanUpdated
from ladeplan_platform.http import Api, ApiError, json_response

api = Api(title="ladeplan ems-adapter operator API")


@api.route(
    "GET",
    "/api/v1/locations/{location_id}/plan",
    summary="The location's current charging plan: power per session and 15-minute slot, the standing "
    "charge-point cap, energy and cost (the body of the last ems.plan.updated).",
    response=PlanUpdated,
    errors=(404,),
)
async def get_plan(request: web.Request) -> web.Response:
    location_id = request.match_info["location_id"]
    plan = await request.app[QUERIES].latest(location_id)
    if plan is None:
        raise ApiError(404, "plan_not_found", f"No plan for location {location_id} (unknown, or never planned).")
    return json_response(plan)

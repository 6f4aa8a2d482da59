"""Operator commands to a charge point: ``POST /api/v1/charge-points/{id}/commands/{kind}``.

One route per command kind, each with the command's own body model, so the OpenAPI document
describes every body exactly. The command travels version-neutral over ``ladeplan.commands`` to
the gateway node holding the charge point's socket, which speaks the charge point's OCPP version;
the answer is the charge point's (``accepted``/``rejected``/``not_supported``/``error``, its payload
in ``response``), or ``offline`` at once when no node holds it, or ``timeout``.
"""

from __future__ import annotations

import typing

from aiohttp import web
from pydantic import BaseModel, Field, create_model

from ladeplan_contracts.commands import CommandBody, CommandReply
from ladeplan_contracts.commands_security import INTERNAL_COMMANDS
from ladeplan_platform.commands import CommandClient
from ladeplan_platform.http import Api, Handler, json_response, parse_body
from masterdata.use_cases import MasterData

COMMANDS = web.AppKey("commands", CommandClient)
"""Sends commands; set by the app once its RPC client is connected."""

COMMAND_TIMEOUT_S = web.AppKey("command_timeout_s", float)
"""How long a command waits for the charge point when the body names no ``timeout_s``."""

_SUMMARIES = {
    "remote_start": "Start charging for a token",
    "remote_stop": "Stop a transaction",
    "set_charging_profile": "Install a charging profile",
    "reset": "Restart the charge point (soft, hard, immediate or once idle)",
    "unlock_connector": "Release a connector's cable lock",
    "change_availability": "Make the charge point, an EVSE or a connector operative or inoperative",
    "get_configuration": "Read OCPP 1.6 configuration keys",
    "set_configuration": "Change an OCPP 1.6 configuration key",
    "get_variables": "Read OCPP 2.x device model variables",
    "set_variables": "Change OCPP 2.x device model variables",
    "get_base_report": "Ask an OCPP 2.x charge point for a device model report",
    "trigger_message": "Ask the charge point to send a message now",
    "clear_cache": "Empty the authorisation cache",
    "data_transfer": "Send a vendor-specific message",
    "update_firmware": "Download and install firmware",
    "get_log": "Upload diagnostics or a security log",
    "send_local_list": "Replace or amend the local authorisation list",
    "get_local_list_version": "Read the local authorisation list's version",
    "reserve_now": "Reserve an EVSE for a token",
    "cancel_reservation": "Cancel a reservation",
    "clear_charging_profile": "Remove charging profiles",
    "get_charging_profiles": "Ask an OCPP 2.x charge point to report its charging profiles",
    "get_composite_schedule": "Read the schedule the charge point will follow",
}


def command_models() -> dict[str, type[BaseModel]]:
    """Every command model of the contract an operator may send as such, keyed by its ``kind``.

    Internal kinds (the password change) go out only through the use case that owns their consequences.
    """
    union = typing.get_args(typing.get_args(CommandBody)[0])
    models = {model.model_fields["kind"].default: model for model in union}
    return {kind: model for kind, model in models.items() if kind not in INTERNAL_COMMANDS}


def _request_model(model: type[BaseModel]) -> type[BaseModel]:
    """The command's body plus ``timeout_s``; ``kind`` comes from the URL and may be left out."""
    request: type[BaseModel] = create_model(
        f"{model.__name__}Request",
        __base__=model,
        __doc__=model.__doc__,
        timeout_s=(
            float | None,
            Field(default=None, gt=0, le=300, description="Seconds to wait for the charge point's answer."),
        ),
    )
    return request


def _view(model: type[BaseModel], request_model: type[BaseModel], masterdata: web.AppKey[MasterData]) -> Handler:
    async def send_command(request: web.Request) -> web.Response:
        charge_point_id = request.match_info["charge_point_id"]
        await request.app[masterdata].charge_point(charge_point_id)  # 404 for an unknown charge point
        body = await parse_body(request, request_model)
        timeout_s = getattr(body, "timeout_s", None) or request.app[COMMAND_TIMEOUT_S]
        # The request model is the command model plus timeout_s, so this validation cannot fail.
        command = typing.cast(CommandBody, model.model_validate(body.model_dump(exclude={"timeout_s"})))
        reply = await request.app[COMMANDS].send(charge_point_id, command, timeout_s=timeout_s)
        return json_response(reply)

    return send_command


def add_command_routes(api: Api, masterdata: web.AppKey[MasterData]) -> None:
    """Register one ``POST .../commands/{kind}`` route per command kind on ``api``."""
    for kind, model in command_models().items():
        request_model = _request_model(model)
        api.route(
            "POST",
            f"/api/v1/charge-points/{{charge_point_id}}/commands/{kind}",
            summary=f"{_SUMMARIES[kind]}; answers offline at once when the charge point is not connected.",
            request=request_model,
            response=CommandReply,
            errors=(404, 422),
        )(_view(model, request_model, masterdata))

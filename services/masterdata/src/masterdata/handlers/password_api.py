"""Operator API for charge point passwords: ``/api/v1/charge-points/{id}/password-rotation``.

``POST`` rotates (a generated password, or the one given), ``GET`` tells whether a new password is
pending, ``DELETE`` forgets a pending one. The rules of the rotation live in ``masterdata.rotation``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ladeplan_platform.http import Api, ApiError, json_response, parse_body
from masterdata.domain import rules
from masterdata.rotation import PasswordRotation, RotationPending, RotationRefused

ROTATION = web.AppKey("password_rotation", PasswordRotation)
"""The password rotation, set by the app once the database and the command client are connected."""

ROTATION_TIMEOUT_S = web.AppKey("rotation_timeout_s", float)
"""How long the charge point has to answer when the body names no ``timeout_s``."""

PATH = "/api/v1/charge-points/{charge_point_id}/password-rotation"


class PasswordRotationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    password: Annotated[
        str | None,
        AfterValidator(lambda value: None if value is None else rules.charge_point_password(value)),
        Field(
            description="The new password; leave out to have one generated (20 letters and digits, which fit "
            "OCPP 1.6 and 2.x). It is never shown again.",
            json_schema_extra={"format": "password", "writeOnly": True},
        ),
    ] = None
    timeout_s: float | None = Field(default=None, gt=0, le=300, description="Seconds to wait for the answer.")


class PasswordRotationOut(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["accepted", "timeout"] = Field(
        description="accepted: the charge point took the password; timeout: its answer did not come in time."
    )
    detail: str | None = None
    pending: bool = Field(
        default=True,
        description="The old password stays valid until the charge point logs in with the new one "
        "(at once after accepting, after a restart for RebootRequired).",
    )


class PasswordRotationState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pending: bool = Field(description="A new password was sent and the charge point has not yet logged in with it.")
    pending_since: datetime | None = None


def add_password_routes(api: Api) -> None:
    """Register the password rotation routes on ``api`` (masterdata's operator API)."""
    api.route(
        "POST",
        PATH,
        summary="Rotate the charge point's HTTP Basic password (OCPP security profiles 1 and 2) without locking it "
        "out; 409 when it is offline, refuses the password or an earlier rotation is pending",
        request=PasswordRotationIn,
        response=PasswordRotationOut,
        errors=(404, 409, 422),
    )(rotate_password)
    api.route(
        "GET", PATH, summary="Whether a rotated password is pending", response=PasswordRotationState, errors=(404,)
    )(rotation_state)
    api.route(
        "DELETE",
        PATH,
        summary="Forget a pending password (e.g. after the charge point was reset on site)",
        status=204,
        errors=(404,),
    )(discard_rotation)


async def rotate_password(request: web.Request) -> web.Response:
    body = await parse_body(request, PasswordRotationIn)
    timeout_s = body.timeout_s or request.app[ROTATION_TIMEOUT_S]
    try:
        started = await request.app[ROTATION].rotate(
            request.match_info["charge_point_id"], body.password, timeout_s=timeout_s
        )
    except RotationPending as exc:
        raise ApiError(
            409,
            "rotation_pending",
            "An earlier rotation's password is pending until the charge point logs in with it; "
            "DELETE the rotation first if the charge point lost it.",
        ) from exc
    except RotationRefused as exc:
        reply = exc.reply
        raise ApiError(
            409,
            f"charge_point_{reply.status}",
            "The charge point did not take the new password; the old one stays in force.",
            {"status": reply.status, "detail": reply.detail},
        ) from exc
    return json_response(PasswordRotationOut(status=started.status, detail=started.detail))


async def rotation_state(request: web.Request) -> web.Response:
    state = await request.app[ROTATION].state(request.match_info["charge_point_id"])
    return json_response(PasswordRotationState(pending=state.pending, pending_since=state.pending_since))


async def discard_rotation(request: web.Request) -> web.Response:
    await request.app[ROTATION].discard(request.match_info["charge_point_id"])
    return web.Response(status=204)

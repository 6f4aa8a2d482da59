"""Version-neutral commands about charging: local authorisation list, reservations, charging profiles.

Like :mod:`ladeplan_contracts.commands_device`, each model joins ``CommandBody`` in
:mod:`ladeplan_contracts.commands` and is mapped by the gateway to the charge point's OCPP version.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from ladeplan_contracts.commands_device import EvseId, RequestId

_MODEL = ConfigDict(extra="forbid", frozen=True)

TokenUid = Annotated[
    str, Field(min_length=1, max_length=36, description="OCPP IdToken; OCPP 1.6 idTags have at most 20 characters.")
]
TokenType = Literal["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress"]
"""OCPP 2.x IdTokenEnumType without NoAuthorization; 1.6 has no token types."""

ProfilePurpose = Literal["tx", "tx_default", "charge_point_max", "external_constraints"]
"""``external_constraints`` (limits set by an EMS or grid operator) exists in 2.x only."""

LimitSource = Literal["ems", "other", "so", "cso"]
"""Who set a charging limit: energy management system, other, system operator, charge point operator."""

OcppId = Annotated[int, Field(ge=0, le=2**31 - 1)]


class LocalAuthEntry(BaseModel):
    """One token of the local list; without ``status`` (differential updates only) it is removed."""

    model_config = _MODEL

    token_uid: TokenUid
    token_type: TokenType = "ISO14443"  # noqa: S105 (a token kind, not a secret)
    status: Literal["accepted", "blocked", "expired", "invalid"] | None = None
    expires_at: AwareDatetime | None = None


class SendLocalList(BaseModel):
    """Replace (``full``) or amend (``differential``) the charge point's local authorisation list."""

    model_config = _MODEL

    kind: Literal["send_local_list"] = "send_local_list"
    version: int = Field(ge=1, le=2**31 - 1)
    update: Literal["full", "differential"]
    entries: list[LocalAuthEntry] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _full_lists_give_every_status(self) -> SendLocalList:
        if self.update == "full" and any(entry.status is None for entry in self.entries):
            raise ValueError("a full update gives every entry a status (only differential updates remove tokens)")
        return self


class GetLocalListVersion(BaseModel):
    """The version of the charge point's local list (``response`` holds it)."""

    model_config = _MODEL

    kind: Literal["get_local_list_version"] = "get_local_list_version"


class ReserveNow(BaseModel):
    """Reserve an EVSE (or any EVSE when ``evse_id`` is None) for a token until ``expires_at``."""

    model_config = _MODEL

    kind: Literal["reserve_now"] = "reserve_now"
    reservation_id: OcppId
    token_uid: TokenUid
    token_type: TokenType = "ISO14443"  # noqa: S105 (a token kind, not a secret)
    expires_at: AwareDatetime
    evse_id: EvseId | None = None
    group_token_uid: TokenUid | None = Field(default=None, description="1.6 parentIdTag, 2.x groupIdToken.")


class CancelReservation(BaseModel):
    model_config = _MODEL

    kind: Literal["cancel_reservation"] = "cancel_reservation"
    reservation_id: OcppId


class ClearChargingProfile(BaseModel):
    """Remove charging profiles: one by id, or every profile matching the criteria (all when none is given)."""

    model_config = _MODEL

    kind: Literal["clear_charging_profile"] = "clear_charging_profile"
    profile_id: OcppId | None = None
    evse_id: int | None = Field(default=None, ge=0, le=2**31 - 1, description="0: the charge point as a whole.")
    purpose: ProfilePurpose | None = None
    stack_level: int | None = Field(default=None, ge=0, le=2**31 - 1)


class GetChargingProfiles(BaseModel):
    """OCPP 2.x GetChargingProfiles; the profiles arrive as ``chargepoint.charging_profiles.reported`` events."""

    model_config = _MODEL

    kind: Literal["get_charging_profiles"] = "get_charging_profiles"
    request_id: RequestId
    evse_id: int | None = Field(default=None, ge=0, le=2**31 - 1)
    purpose: ProfilePurpose | None = None
    stack_level: int | None = Field(default=None, ge=0, le=2**31 - 1)
    profile_ids: list[OcppId] = Field(default_factory=list, max_length=100)
    sources: list[LimitSource] = Field(default_factory=list, max_length=4)


class GetCompositeSchedule(BaseModel):
    """The schedule the charge point will follow for ``duration_s``, all profiles combined (``response``)."""

    model_config = _MODEL

    kind: Literal["get_composite_schedule"] = "get_composite_schedule"
    duration_s: int = Field(ge=1, le=2**31 - 1)
    evse_id: int = Field(default=0, ge=0, le=2**31 - 1, description="0: the grid connection as a whole.")
    unit: Literal["A", "W"] | None = None

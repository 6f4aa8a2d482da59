"""What masterdata keeps: plain immutable records, built by the repository and read by the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ladeplan_contracts.events import TokenStatus

__all__ = ["ChargePoint", "ChargePointStatus", "Connector", "Location", "Token", "TokenStatus", "TokenType", "User"]

TokenType = Literal["RFID", "ISO14443", "ISO15693", "eMAID", "Central", "KeyCode", "Local", "MacAddress"]
"""OCPP IdTokenType values a user's token may have; ``NoAuthorization`` is no token of a user."""


@dataclass(frozen=True, slots=True)
class Location:
    id: str
    name: str
    timezone: str
    grid_limit_kw: float
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Connector:
    connector_id: int
    max_power_kw: float


@dataclass(frozen=True, slots=True)
class ChargePoint:
    """A charge point as the operator sees it; its password hash never leaves the repository."""

    id: str
    location_id: str
    connectors: tuple[Connector, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Token:
    uid: str
    type: TokenType
    user_id: str
    status: TokenStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ChargePointStatus:
    """What the gateway reported about a charge point (a read model of ``chargepoint.*`` events)."""

    connected: bool
    ocpp_version: str | None = None
    connected_at: datetime | None = None
    disconnected_at: datetime | None = None
    last_seen_at: datetime | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    boot_reason: str | None = None
    booted_at: datetime | None = None
    firmware_status: str | None = None
    firmware_request_id: int | None = None
    firmware_status_at: datetime | None = None

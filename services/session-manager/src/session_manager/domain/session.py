"""A charging session and the few state rules it follows: ``active`` until its end arrives, then ``completed``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

SessionStatus = Literal["active", "completed"]

UNKNOWN_START_AUTHORIZATION = "Unknown"
"""Authorisation recorded for a session whose start this service never saw."""


class SessionNotFound(Exception):
    """No session has this id."""


class SessionAlreadyCompleted(Exception):
    """The session has ended; it can no longer be stopped or completed again."""


@dataclass(frozen=True)
class Session:
    id: UUID
    charge_point_id: str
    evse_id: int | None
    connector_id: int | None
    transaction_id: int
    transaction_ref: str
    token_uid: str | None
    user_id: str | None
    authorization_status: str
    status: SessionStatus
    started_at: datetime | None
    meter_start_wh: int | None
    ended_at: datetime | None
    meter_stop_wh: int | None
    stop_reason: str | None
    energy_wh: int | None
    unknown_start: bool

    @property
    def is_active(self) -> bool:
        return self.status == "active"


def ensure_stoppable(session: Session) -> None:
    """Raise :class:`SessionAlreadyCompleted` unless a remote stop can still reach a running transaction."""
    if not session.is_active:
        raise SessionAlreadyCompleted(str(session.id))


@dataclass(frozen=True)
class TransactionRef:
    ref: str
    assigned: bool
    """True when this service made the reference up (OCPP 1.6), False when the charge point chose it (2.x)."""


def transaction_ref_for(requested: str | None, transaction_id: int) -> TransactionRef:
    """The reference a transaction is known by on the bus.

    OCPP 1.6 charge points expect the backend to hand out an integer transaction id, so its text
    becomes the reference; 2.x charge points name their transactions themselves and keep that name.
    """
    if requested is None:
        return TransactionRef(str(transaction_id), assigned=True)
    return TransactionRef(requested, assigned=False)

"""Request/reply messages, used only where OCPP needs an answer inside the frame."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ladeplan_contracts.envelope import Contract
from ladeplan_contracts.names import RPC_AUTHENTICATE_CHARGE_POINT, RPC_AUTHORIZE, RPC_START_TRANSACTION

AuthorizationStatus = Literal["Accepted", "Blocked", "Expired", "Invalid", "Unknown"]


class AuthorizeRequest(Contract):
    TYPE = RPC_AUTHORIZE
    charge_point_id: str
    token_uid: str
    token_type: str | None = None


class AuthorizeReply(Contract):
    TYPE = "session-manager.authorize.reply"
    status: AuthorizationStatus
    user_id: str | None = None


class StartTransactionRequest(Contract):
    """Idempotent: the same charge point, transaction reference or start key gives the same answer."""

    TYPE = RPC_START_TRANSACTION
    charge_point_id: str
    evse_id: int
    connector_id: int
    token_uid: str | None
    token_type: str | None = None
    meter_start_wh: int | None
    started_at: datetime
    transaction_ref: str | None = None
    """2.x: the charge point's own transaction id. 1.6: None, session-manager assigns an integer."""


class StartTransactionReply(Contract):
    TYPE = "session-manager.start-transaction.reply"
    status: AuthorizationStatus
    session_id: str
    transaction_ref: str
    transaction_id: int


class AuthenticateChargePointRequest(Contract):
    TYPE = RPC_AUTHENTICATE_CHARGE_POINT
    charge_point_id: str
    password: str
    client_certificate: bool = False
    """True: the gateway verified a TLS client certificate naming this charge point (security profile 3),
    so only its registration is checked and ``password`` is ignored."""


class AuthenticateChargePointReply(Contract):
    TYPE = "masterdata.authenticate-charge-point.reply"
    accepted: bool
    location_id: str | None = None

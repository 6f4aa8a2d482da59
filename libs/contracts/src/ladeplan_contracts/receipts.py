"""Events of the receipts service: calibration-law (Eichrecht) receipts of completed sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ladeplan_contracts.envelope import Contract

ReceiptStatus = Literal["verified", "invalid", "unsigned"]


class ReceiptIssued(Contract):
    """A receipt for a completed session; a higher ``version`` of the same session supersedes the earlier one.

    A new version follows when signed values of the session arrive after its receipt was issued,
    or when an operator asks for a new check (e.g. after configuring the meter's key). Receipts
    are never changed in place.
    """

    TYPE = "receipt.issued"
    receipt_id: str
    session_id: str
    version: int = Field(ge=1)
    charge_point_id: str
    evse_id: int | None
    transaction_ref: str
    status: ReceiptStatus
    reason: str | None = Field(description="Why the session is not verified; None when it is.")
    billable: bool = Field(description="True only for verified sessions: what a calibration-law tariff may bill.")
    measured_energy: str | None = Field(
        description="End minus begin reading as the meter signed them, exact decimal text; None when not read."
    )
    measured_energy_unit: str | None
    tariff_ref: str | None
    issued_at: datetime

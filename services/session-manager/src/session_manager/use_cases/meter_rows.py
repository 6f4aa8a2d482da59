"""Flatten the bus's meter values into one row per sampled value, keeping every field as received."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from ladeplan_contracts.meter import MeterValue
from session_manager.repository import MeterValueRow


def meter_rows(
    meter_values: Iterable[MeterValue],
    *,
    session_id: uuid.UUID | None,
    unknown_transaction: bool,
    charge_point_id: str,
    evse_id: int | None,
    connector_id: int | None,
    transaction_ref: str | None,
    ocpp_message_id: str,
    message_id: str,
) -> list[MeterValueRow]:
    """Rows for ``meter_values``; the sample time comes from the meter value that holds each sample."""
    return [
        MeterValueRow(
            session_id=session_id,
            unknown_transaction=unknown_transaction,
            charge_point_id=charge_point_id,
            evse_id=evse_id,
            connector_id=connector_id,
            transaction_ref=transaction_ref,
            sampled_at=meter_value.timestamp,
            value=sample.value,
            measurand=sample.measurand,
            unit=sample.unit,
            phase=sample.phase,
            context=sample.context,
            location=sample.location,
            format=sample.format,
            signed_meter_data=sample.signed.signed_meter_data if sample.signed else None,
            signing_method=sample.signed.signing_method if sample.signed else None,
            encoding_method=sample.signed.encoding_method if sample.signed else None,
            public_key=sample.signed.public_key if sample.signed else None,
            ocpp_message_id=ocpp_message_id,
            message_id=message_id,
        )
        for meter_value in meter_values
        for sample in meter_value.sampled_values
    ]

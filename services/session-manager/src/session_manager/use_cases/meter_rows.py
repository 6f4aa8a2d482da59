"""Meter values as rows: one per sampled value, every field as received, each reading stored once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import asyncpg
import structlog

from ladeplan_contracts.meter import MeterValue
from session_manager import repository as repo
from session_manager.repository import MeterValueRow

log = structlog.get_logger("session_manager.meter_rows")


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
            multiplier=sample.multiplier,
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


async def store_meter_rows(conn: asyncpg.Connection, rows: Sequence[MeterValueRow]) -> int:
    """Store the rows of one message, skipping readings stored before; returns how many were new.

    A charge point that got no answer sends its CALL again (under the same OCPP message id or a
    new one) and the gateway publishes it in a new envelope, which the inbox cannot recognise:
    the reading's natural key does (``repo.insert_meter_values``).
    """
    stored = await repo.insert_meter_values(conn, rows)
    if stored < len(rows):
        await log_duplicates(conn, rows, stored)
    return stored


async def log_duplicates(conn: asyncpg.Connection, rows: Sequence[MeterValueRow], stored: int) -> None:
    """Log the readings of one message that were stored before, and under which OCPP message id.

    Whether the stored copy came under the same OCPP message id shows a charge point that
    retries a lot, and whether it renumbers its retries.
    """
    first = rows[0]  # every row of one message shares its origin
    same_call = first.transaction_ref is not None and await repo.retry_of_same_call(
        conn, first.charge_point_id, first.transaction_ref, first.ocpp_message_id, first.message_id
    )
    log.info(
        "meter_values.duplicates_ignored",
        duplicates=len(rows) - stored,
        stored=stored,
        ocpp_message_id=first.ocpp_message_id,
        session_id=str(first.session_id) if first.session_id else None,
        seen_under="same_ocpp_message_id" if same_call else "other_ocpp_message_id",
    )

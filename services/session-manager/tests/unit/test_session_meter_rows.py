"""Meter values from the bus become one row per sampled value, fields untouched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from ladeplan_contracts.meter import MeterValue, SampledValue, SignedMeterValue
from session_manager.use_cases.meter_rows import meter_rows

pytestmark = pytest.mark.unit

T1 = datetime(2026, 11, 25, 10, tzinfo=UTC)
T2 = datetime(2026, 11, 25, 10, 15, tzinfo=UTC)


def test_every_sampled_value_becomes_a_row_with_its_meter_values_time():
    session_id = uuid.uuid4()
    signed = SignedMeterValue(signed_meter_data="AB12", signing_method="ECDSA", encoding_method="OCMF", public_key="K")
    values = [
        MeterValue(
            timestamp=T1,
            sampled_values=[
                SampledValue(value="12.3450", unit="kWh", context="Sample.Periodic", signed=signed),
                SampledValue(value="230.1", measurand="Voltage", unit="V", phase="L1-N", location="Outlet"),
            ],
        ),
        MeterValue(timestamp=T2, sampled_values=[SampledValue(value="7", format="Raw")]),
    ]

    rows = meter_rows(
        values,
        session_id=session_id,
        unknown_transaction=False,
        charge_point_id="CP-1",
        evse_id=1,
        connector_id=2,
        transaction_ref="17",
        ocpp_message_id="ocpp-9",
        message_id="msg-9",
    )

    assert [(r.sampled_at, r.value, r.measurand, r.unit, r.phase) for r in rows] == [
        (T1, "12.3450", "Energy.Active.Import.Register", "kWh", None),
        (T1, "230.1", "Voltage", "V", "L1-N"),
        (T2, "7", "Energy.Active.Import.Register", None, None),
    ]
    first = rows[0]
    assert (first.signed_meter_data, first.signing_method, first.encoding_method, first.public_key) == (
        "AB12",
        "ECDSA",
        "OCMF",
        "K",
    )
    assert rows[1].signed_meter_data is None
    assert rows[1].location == "Outlet"
    assert rows[2].format == "Raw"
    assert {(r.session_id, r.charge_point_id, r.evse_id, r.connector_id, r.transaction_ref) for r in rows} == {
        (session_id, "CP-1", 1, 2, "17")
    }
    assert {(r.ocpp_message_id, r.message_id, r.unknown_transaction) for r in rows} == {("ocpp-9", "msg-9", False)}


def test_no_meter_values_no_rows():
    assert (
        meter_rows(
            [],
            session_id=None,
            unknown_transaction=True,
            charge_point_id="CP-1",
            evse_id=None,
            connector_id=None,
            transaction_ref=None,
            ocpp_message_id="o",
            message_id="m",
        )
        == []
    )

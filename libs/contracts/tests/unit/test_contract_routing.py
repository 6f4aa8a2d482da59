"""Which routing key a message travels under: its type, or a key its contract names for it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ladeplan_contracts.events import SIGNED_METER_VALUES_ROUTING_KEY, MeterValuesReported, TransactionEnded
from ladeplan_contracts.meter import MeterValue, SampledValue, SignedMeterValue

pytestmark = pytest.mark.unit

OCMF = 'OCMF|{"FV":"1.0","RD":[{"TM":"2026-11-25T10:00:00,000+0000 S","RV":1.5,"RU":"kWh"}]}|{"SD":"30"}'


def report(*samples: SampledValue) -> MeterValuesReported:
    return MeterValuesReported(
        charge_point_id="CP-1",
        evse_id=1,
        connector_id=1,
        transaction_ref="7",
        meter_values=[MeterValue(timestamp=datetime(2026, 11, 25, 10, tzinfo=UTC), sampled_values=list(samples))],
        ocpp_message_id="m1",
    )


def test_plain_meter_values_go_under_their_type() -> None:
    assert report(SampledValue(value="1500", unit="Wh")).routing_key() == "transaction.meter_values"


@pytest.mark.parametrize(
    "signed",
    [
        SampledValue(value="x", format="SignedData", signed=SignedMeterValue(signed_meter_data="AQID")),
        SampledValue(value=OCMF),  # a 1.6 charge point that left out format="SignedData"
        SampledValue(value=OCMF.encode().hex().upper()),
    ],
    ids=["signed-field", "ocmf-text", "ocmf-hex"],
)
def test_meter_values_with_any_signed_value_go_under_the_signed_key(signed: SampledValue) -> None:
    message = report(SampledValue(value="230", measurand="Voltage", unit="V"), signed)

    assert message.routing_key() == SIGNED_METER_VALUES_ROUTING_KEY
    assert message.TYPE == "transaction.meter_values"  # the message type does not change with the key
    assert SIGNED_METER_VALUES_ROUTING_KEY in MeterValuesReported.ALSO_ROUTED_AS


def test_other_messages_go_under_their_type_whatever_they_carry() -> None:
    end = TransactionEnded(
        charge_point_id="CP-1",
        transaction_ref="7",
        stopped_at=datetime(2026, 11, 25, 11, tzinfo=UTC),
        ocpp_message_id="m2",
    )
    assert end.routing_key() == "transaction.ended"
    assert TransactionEnded.ALSO_ROUTED_AS == ()

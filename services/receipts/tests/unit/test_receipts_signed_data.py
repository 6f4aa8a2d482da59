"""Finding the meter's data inside the OCPP wrappings (1.6 SignedData, its JSON convention, 2.x base64)."""

from __future__ import annotations

import base64
import json

import pytest

from receipts.domain.results import SignedDataFormat
from receipts.domain.signatures import UnknownFormat
from receipts.domain.signed_data import Transport, embedded_key, looks_signed, meter_data

pytestmark = pytest.mark.unit

RECORD = 'OCMF|{"FV":"1.0","PG":"T1","RD":[{"TX":"B","RV":1.50,"RU":"kWh"}]}|{"SD":"3045"}'


def test_a_plain_ocmf_string_is_the_data_itself():
    found = meter_data(RECORD)
    assert (found.data, found.text, found.transport, found.format) == (
        RECORD, RECORD, Transport.PLAIN, SignedDataFormat.OCMF,
    )  # fmt: skip
    assert found.transparency_format == "OCMF"
    assert found.public_key is None


def test_hex_encoded_ocmf_is_exported_as_hex_text():
    hexed = RECORD.encode().hex().upper()
    found = meter_data(hexed)
    assert (found.text, found.transport, found.format) == (hexed, Transport.HEX, SignedDataFormat.OCMF_HEX)
    assert found.transparency_format == "OCMF"


def test_base64_signed_meter_data_of_ocpp_2_is_decoded_for_checking_but_exported_as_sent():
    sent = base64.b64encode(RECORD.encode()).decode()
    found = meter_data(sent, public_key="MFkw")
    assert (found.data, found.text, found.transport) == (RECORD, sent, Transport.BASE64)
    assert found.public_key == "MFkw"


@pytest.mark.parametrize("data_key", ["signedMeterData", "signedMeterValue"])
def test_the_16_json_wrapper_yields_its_data_and_key(data_key):
    inner = base64.b64encode(RECORD.encode()).decode()
    wrapper = json.dumps({data_key: inner, "encodingMethod": "OCMF", "publicKey": "3059AB"})
    found = meter_data(wrapper)
    assert (found.data, found.text, found.transport, found.public_key) == (RECORD, inner, Transport.BASE64, "3059AB")
    assert embedded_key(wrapper) == "3059AB"


def test_an_empty_2x_public_key_means_none_was_sent():
    assert meter_data(RECORD, public_key="  ").public_key is None
    assert embedded_key("not signed data", public_key="") is None
    assert embedded_key("not signed data", public_key="ABCD") == "ABCD"


@pytest.mark.parametrize("raw", ["12345", "{}", '{"signedMeterData": 5}', base64.b64encode(b"hello").decode()])
def test_anything_else_is_no_signed_data(raw):
    with pytest.raises(UnknownFormat):
        meter_data(raw)


def test_plain_values_that_are_ocmf_anyway_are_recognised():
    assert looks_signed(RECORD)
    assert looks_signed(RECORD.encode().hex())
    assert not looks_signed("12.5")

"""The OCMF parser: every field typed, the signed bytes untouched, and only its own error raised."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receipts.domain.crypto.keys import KeyEncodingError
from receipts.domain.ocmf import MeterStatus, OcmfParseError, ReadingReason, TimeSync, parse_ocmf, split_ocmf
from receipts.domain.receipt import verify_receipt
from receipts.domain.signatures import MalformedSignedData, UnknownFormat

pytestmark = pytest.mark.unit

SIGNATURE = '{"SD":"3006020101020101"}'


def ocmf_with(payload: str, signature: str = SIGNATURE) -> str:
    return f"OCMF|{payload}|{signature}"


def payload_with(readings: str = '[{"TM":"2018-07-24T13:22:04,000+0200 S","TX":"B","RV":2935.6,"RU":"kWh"}]', **fields):
    extra = "".join(f',"{key}":{json.dumps(value)}' for key, value in fields.items())
    return '{"PG":"T1","RD":' + readings + extra + "}"


def test_every_payload_field_is_typed():
    payload = {
        "FV": "1.4", "GI": "ABL SBC-301", "GS": "808829900001", "GV": "1.4p3", "PG": "T12345",
        "MV": "Phoenix Contact", "MM": "EEM-350-D-MCB", "MS": "BQ27400330016", "MF": "1.0",
        "IS": True, "IL": "VERIFIED", "IF": ["RFID_PLAIN", "OCPP_RS_TLS"], "IT": "ISO14443", "ID": "1F2D3A4F5506C7",
        "TT": "Tarif 1", "CF": "3.1.4", "LC": {"LN": "cable", "LI": 1, "LR": 2.5, "LU": "mOhm"},
        "CT": "EVSEID", "CI": "DE*ABC*E123", "XA": "vendor",
        "RD": [{"TM": "2018-07-24T13:26:04,000+0200 S", "TX": "E", "RV": 2965.1, "CL": 0.5, "RI": "1-b:1.8.0",
                "RU": "kWh", "RT": "DC", "EF": "", "ST": "G", "EI": 567}],
    }  # fmt: skip
    record = parse_ocmf(ocmf_with(json.dumps(payload)))

    parsed = record.payload
    assert (parsed.format_version, parsed.gateway_identification, parsed.gateway_serial) == (
        "1.4",
        "ABL SBC-301",
        "808829900001",
    )
    assert (parsed.pagination.context, parsed.pagination.number) == ("T", 12345)
    assert (parsed.meter_vendor, parsed.meter_model, parsed.meter_serial, parsed.meter_firmware) == (
        "Phoenix Contact", "EEM-350-D-MCB", "BQ27400330016", "1.0"
    )  # fmt: skip
    assert parsed.identification_status is True
    assert parsed.identification_flags == ("RFID_PLAIN", "OCPP_RS_TLS")
    assert (parsed.identification_level, parsed.identification_type, parsed.identification_data) == (
        "VERIFIED", "ISO14443", "1F2D3A4F5506C7"
    )  # fmt: skip
    assert (parsed.tariff_text, parsed.charge_controller_firmware) == ("Tarif 1", "3.1.4")
    assert parsed.loss_compensation is not None
    assert (parsed.loss_compensation.resistance, parsed.loss_compensation.unit) == (Decimal("2.5"), "mOhm")
    assert (parsed.charge_point_id_type, parsed.charge_point_id) == ("EVSEID", "DE*ABC*E123")
    assert parsed.extra == {"XA": "vendor"}
    reading = parsed.readings[0]
    assert reading.time is not None
    assert reading.time.at == datetime(2018, 7, 24, 13, 26, 4, tzinfo=timezone(timedelta(hours=2)))
    assert reading.time.sync is TimeSync.SYNCHRONIZED
    assert (reading.reason, reading.status) == (ReadingReason.END, MeterStatus.OK)
    assert (reading.value, reading.cumulated_loss, reading.register, reading.unit, reading.current_type) == (
        Decimal("2965.1"), Decimal("0.5"), "1-b:1.8.0", "kWh", "DC"
    )  # fmt: skip
    assert reading.extra == {"EI": Decimal(567)}


def test_the_signed_bytes_are_the_payload_section_byte_for_byte():
    payload = '{ "PG" : "T1",\n\t"RD":[{"RV":0.25960,"RU":"kWh","TX":"B"}], "GI":"Zähler" }'

    record = parse_ocmf(ocmf_with(payload))

    assert record.signed_bytes == payload.encode("utf-8")
    assert record.payload.readings[0].value_text == "0.25960"
    assert record.payload.readings[0].value == Decimal("0.25960")


def test_whole_string_hex_encoding_is_detected():
    text = ocmf_with(payload_with())

    sections = split_ocmf(text.encode().hex().upper())

    assert sections.hex_encoded
    assert sections.signed_bytes == payload_with().encode()


def test_signature_defaults_apply_when_fields_are_absent():
    signature = parse_ocmf(ocmf_with(payload_with())).signature

    assert (signature.algorithm, signature.encoding, signature.mime_type) == (
        "ECDSA-secp256r1-SHA256", "hex", "application/x-der"
    )  # fmt: skip
    assert parse_ocmf(ocmf_with(payload_with(), "{}")).signature.data is None


def test_readings_take_omitted_fields_from_the_previous_reading():
    readings = (
        '[{"TM":"2021-10-06T13:13:56,000+0200 R","TX":"B","RV":57.584,"RI":"1-0:1.8.0","RU":"kWh","ST":"G"},'
        '{"RV":4.405,"RI":"1-0:2.8.0"}]'
    )

    first, second = parse_ocmf(ocmf_with(payload_with(readings))).payload.readings

    assert (second.time, second.reason, second.unit, second.status) == (first.time, first.reason, "kWh", first.status)
    assert second.register == "1-0:2.8.0"
    assert second.value == Decimal("4.405")
    assert second.inherited == {"TM", "TX", "RU", "ST"}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("RV", '"       9.038"', Decimal("9.038")),  # DZG: a space-padded string
        ("RV", "1.606848e7", Decimal("16068480")),  # ISA: exponent notation
        ("RV", "0", Decimal(0)),
    ],
)
def test_values_are_read_exactly(field, value, expected):
    reading = parse_ocmf(ocmf_with(payload_with(f'[{{"{field}":{value},"RU":"Wh"}}]'))).payload.readings[0]

    assert reading.value == expected


def test_draft_and_sloppy_types_are_read_where_unambiguous():
    payload = parse_ocmf(ocmf_with(payload_with(FV=1.0, CT=0, IS="VERIFIED"))).payload

    assert (payload.format_version, payload.charge_point_id_type) == ("1.0", "0")
    assert (payload.identification_status, payload.identification_level) == (True, "VERIFIED")


def test_a_pagination_outside_the_spec_is_kept_as_text():
    pagination = parse_ocmf(ocmf_with(payload_with().replace('"T1"', '"TRANSACTION-1"'))).payload.pagination

    assert (pagination.text, pagination.context, pagination.number) == ("TRANSACTION-1", None, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("hello", "not an OCMF record"),
        ("OCMF|{}", "exactly three sections"),
        (ocmf_with(payload_with()) + "|3059", "exactly three sections"),
        (ocmf_with("[]"), "payload section is not a JSON object"),
        (ocmf_with("{"), "payload section is not valid JSON"),
        (ocmf_with(payload_with(), "[1]"), "signature section is not a JSON object"),
        (ocmf_with('{"PG":"T1","PG":"T2","RD":[]}'), "duplicate key 'PG'"),
        (ocmf_with('{"PG":"T1","RD":[{"RV":NaN}]}'), "NaN is not a JSON number"),
        (ocmf_with('{"RD":[]}'), "PG (pagination) is missing"),
        (ocmf_with('{"PG":"T1"}'), "RD (readings) is missing"),
        (ocmf_with('{"PG":"T1","RD":[1]}'), "RD[0] must be an object"),
        (ocmf_with('{"PG":7,"RD":[]}'.replace("7", "true")), "PG must be a string"),
        (ocmf_with(payload_with('[{"RV":"lots"}]')), "RD[0].RV 'lots' is not a number"),
        (ocmf_with(payload_with('[{"RV":true}]')), "RD[0].RV must be a number"),
        (ocmf_with(payload_with('[{"TX":"Q"}]')), "RD[0].TX 'Q' is not one of"),
        (ocmf_with(payload_with('[{"ST":"OK"}]')), "RD[0].ST 'OK' is not one of"),
        (ocmf_with(payload_with('[{"TM":"2018-07-24T13:22:04.000+0200 S"}]')), "RD[0].TM"),
        (ocmf_with(payload_with('[{"TM":"2018-07-24T13:22:04,000+0200"}]')), "RD[0].TM"),
        (ocmf_with(payload_with('[{"TM":"2018-13-24T13:22:04,000+0200 S"}]')), "month must be in 1..12"),
        (ocmf_with(payload_with('[{"TM":"2018-07-24T13:22:04,000+2400 S"}]')), "RD[0].TM"),
        (ocmf_with(payload_with('[{"TM":"2018-07-24T13:22:04,000+0200 X"}]')), "RD[0].TM"),
        (ocmf_with(payload_with(LC={"LR": 1})), "LC needs LR and LU"),
        (ocmf_with(payload_with(IF="RFID_PLAIN")), "IF must be an array"),
        (ocmf_with(payload_with(IS=1)), "IS must be true or false"),
        (ocmf_with(payload_with(), '{"SD":[5]}'), "SD must be a string"),
        ("OCMF|\ud800|{}", "payload is not encodable as UTF-8"),
        ("4F434D467C" + "zz", "not an OCMF record"),
        ("4F434D467CFF7C7B7D", "hex-encoded OCMF is not UTF-8"),
    ],
)
def test_malformed_records_raise_the_parse_error_with_a_reason(data, message):
    with pytest.raises(OcmfParseError) as raised:
        parse_ocmf(data)

    assert message in str(raised.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["PG", "RD", "FV", "IS", "IF", "LC", "MS", "TM", "TX", "RV", "ST", "EF", "XV"])
payloads = st.dictionaries(field_names, json_values | st.lists(st.dictionaries(field_names, json_values), max_size=3))


@given(st.text(max_size=200))
def test_arbitrary_text_never_raises_anything_but_the_parse_error(text):
    for candidate in (text, f"OCMF|{text}", f"OCMF|{text}|{text}", text.encode("utf-8", "replace").hex()):
        with contextlib.suppress(OcmfParseError):
            parse_ocmf(candidate)


@given(payloads, st.dictionaries(st.sampled_from(["SA", "SE", "SM", "SD", "XX"]), json_values))
def test_arbitrary_json_never_raises_anything_but_the_parse_error(payload, signature):
    with contextlib.suppress(OcmfParseError):
        parse_ocmf(ocmf_with(json.dumps(payload), json.dumps(signature)))


@given(st.text(max_size=120), st.text(max_size=60))
def test_verifying_arbitrary_input_raises_only_the_documented_errors(data, key):
    for candidate in (data, f"OCMF|{data}|{{}}", f"AP;{data}", f"<signedMeterValue>{data}", f"1.8.0(SG:{data})"):
        with contextlib.suppress(UnknownFormat, OcmfParseError, MalformedSignedData, KeyEncodingError):
            verify_receipt(candidate, key)

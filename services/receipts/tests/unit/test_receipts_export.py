"""The Transparenzsoftware XML container: its shape, exact data, escaping and key encodings."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from receipts.domain.crypto.keys import KeyEncodingError, key_encoding
from receipts.domain.export import export_value, receipt_values, transparency_xml
from receipts.domain.signed_data import Transport
from receipts.domain.verification import CapturedValue

pytestmark = pytest.mark.unit


@pytest.fixture
def meter(ocmf):
    return ocmf.meter("secp256r1")


def test_one_value_per_dataset_with_the_exact_data_and_the_key(ocmf, meter):
    begin, _, end = ocmf.session(meter)
    exported = receipt_values([CapturedValue(1, "Transaction.Begin", begin, None), CapturedValue(2, None, end, None)])
    xml = transparency_xml(29, exported, meter.spki_hex)

    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<values>\n')
    root = ET.fromstring(xml)
    assert root.tag == "values"
    found = [
        (
            value.get("transactionId"),
            value.get("context"),
            value.find("signedData").get("format"),
            value.find("signedData").get("encoding"),
            value.find("signedData").text,
            value.find("publicKey").get("encoding"),
            value.find("publicKey").text,
        )
        for value in root.findall("value")
    ]
    assert found == [
        ("29", "Transaction.Begin", "OCMF", "plain", begin, "hex", meter.spki_hex),
        ("29", "Transaction.End", "OCMF", "plain", end, "hex", meter.spki_hex),
    ]


def test_without_a_key_the_public_key_element_is_left_out(ocmf, meter):
    begin = ocmf.session(meter)[0]
    root = ET.fromstring(transparency_xml(1, receipt_values([CapturedValue(1, None, begin, None)]), None))
    assert root.find("value/publicKey") is None


def test_base64_data_is_exported_as_sent_and_unreadable_values_are_left_out(ocmf, meter):
    begin = ocmf.session(meter)[0]
    sent = base64.b64encode(begin.encode()).decode()
    exported = receipt_values([CapturedValue(1, "Transaction.Begin", sent, None), CapturedValue(2, None, "junk", None)])
    assert [(v.encoding, v.text) for v in exported] == [("base64", sent)]


def test_markup_characters_and_carriage_returns_survive_a_parser():
    text = 'OCMF|{"ID":"<a & b>\r\n"}|{}'
    root = ET.fromstring(transparency_xml(1, [export_value("Transaction.End", "OCMF", Transport.PLAIN, text)], None))
    assert root.find("value/signedData").text == text


def test_text_xml_cannot_carry_is_written_hex_encoded():
    text = 'OCMF|{"ID":"\x01"}|{}'
    value = export_value("Transaction.End", "OCMF", Transport.PLAIN, text)
    assert (value.encoding, bytes.fromhex(value.text).decode()) == ("hex", text)


def test_key_encodings_are_named_as_the_reader_expects(meter):
    der = bytes.fromhex(meter.spki_hex)
    assert key_encoding(meter.spki_hex) == "hex"
    assert key_encoding(" ".join(meter.spki_hex[i : i + 2] for i in range(0, len(meter.spki_hex), 2))) == "hex"
    assert key_encoding(base64.b64encode(der).decode()) == "base64"
    assert key_encoding(base64.b32encode(der).decode()) == "base32"
    with pytest.raises(KeyEncodingError):
        key_encoding("not a key!")

"""Strict DER and the key encodings registers publish (hex with spaces, base64, base32, raw points)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from receipts.domain.crypto.asn1 import DerError, decode_oid, encode_ecdsa_signature, parse_ecdsa_signature
from receipts.domain.crypto.curves import CURVES, curve_by_name
from receipts.domain.crypto.keys import KeyEncodingError, KeyFormatError, key_bytes_candidates, parse_spki_text

pytestmark = pytest.mark.unit


@given(st.integers(min_value=1, max_value=2**400), st.integers(min_value=1, max_value=2**400))
def test_signatures_round_trip_through_canonical_der(r, s):
    assert parse_ecdsa_signature(encode_ecdsa_signature(r, s)) == (r, s)


@pytest.mark.parametrize(
    ("der", "problem"),
    [
        ("3006020101020101" + "00", "trailing bytes after the structure"),
        ("300702020001020101", "INTEGER not minimally encoded"),
        ("3006020181020101", "negative INTEGER"),
        ("30050200020101", "empty INTEGER"),
        ("308106020101020101", "length not minimally encoded"),
        ("3080020101020101" + "0000", "unsupported length encoding"),
        ("3106020101020101", "expected tag 0x30"),
        ("30060201010201", "element longer than its container"),
        ("3009020101020101020101", "trailing bytes inside the signature"),
        ("", "truncated element"),
    ],
)
def test_non_canonical_der_is_refused(der, problem):
    with pytest.raises(DerError, match=problem):
        parse_ecdsa_signature(bytes.fromhex(der))


@given(st.binary(max_size=80))
def test_random_bytes_are_a_signature_or_a_der_error(data):
    try:
        r, s = parse_ecdsa_signature(data)
    except DerError:
        return
    assert encode_ecdsa_signature(r, s) == data  # whatever is accepted is canonical


@pytest.mark.parametrize(
    ("content", "dotted"), [("2a8648ce3d0201", "1.2.840.10045.2.1"), ("2b8104001f", "1.3.132.0.31")]
)
def test_object_identifiers_decode(content, dotted):
    assert decode_oid(bytes.fromhex(content)) == dotted


@pytest.mark.parametrize("curve", [curve for curve in CURVES if curve.openssl], ids=lambda curve: curve.name)
def test_openssl_spki_of_every_curve_loads_with_the_curve_it_names(curve):
    private = ec.derive_private_key(12345, curve.openssl)
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    numbers = private.public_key().public_numbers()

    for text in (der.hex(), der.hex().upper(), " ".join(der.hex()[i : i + 4] for i in range(0, 2 * len(der), 4))):
        key = parse_spki_text(text)
        assert (key.curve, key.x, key.y) == (curve, numbers.x, numbers.y)
    assert parse_spki_text(base64.b64encode(der).decode()).curve == curve


def test_the_hand_built_secp192k1_spki_of_the_test_meter_loads(ocmf):
    meter = ocmf.meter("secp192k1")

    assert parse_spki_text(meter.spki_hex).curve == curve_by_name("secp192k1")


def test_keys_that_ocmf_cannot_use_are_refused_with_a_reason():
    p521 = ec.generate_private_key(ec.SECP521R1()).public_key()
    spki_521 = p521.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    spki_rsa = rsa_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    with pytest.raises(KeyFormatError, match=r"curve OCMF does not name \(OID 1.3.132.0.35\)"):
        parse_spki_text(spki_521.hex())
    with pytest.raises(KeyFormatError, match="not an EC key"):
        parse_spki_text(spki_rsa.hex())
    with pytest.raises(KeyFormatError, match="not a DER SubjectPublicKeyInfo"):
        parse_spki_text("04" + "11" * 64)


def test_a_point_off_the_curve_is_refused(ocmf):
    der = bytearray(bytes.fromhex(ocmf.meter("secp256r1").spki_hex))
    der[-1] ^= 1

    with pytest.raises(KeyFormatError, match="not a point on secp256r1"):
        parse_spki_text(der.hex())


def test_key_text_is_read_as_hex_base64_and_base32():
    assert key_bytes_candidates("0A 0b") == [b"\x0a\x0b", base64.b64decode("0A0b")]
    assert key_bytes_candidates("MFk=") == [base64.b64decode("MFk=")]
    assert base64.b32decode("AJB42AIR") in key_bytes_candidates("AJB42AIR")
    with pytest.raises(KeyEncodingError):
        key_bytes_candidates("not a key!")
    with pytest.raises(KeyEncodingError):
        key_bytes_candidates("   ")

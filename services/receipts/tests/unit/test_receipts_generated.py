"""Records signed here, on every OCMF curve, and tampered in each way a verifier must notice."""

from __future__ import annotations

import base64
import json

import pytest

from receipts.domain.checks import check_record, check_session
from receipts.domain.crypto.curves import CURVES
from receipts.domain.ocmf import parse_ocmf
from receipts.domain.results import Outcome
from receipts.domain.signatures import verify_signed_data

pytestmark = pytest.mark.unit

CURVE_NAMES = [curve.name for curve in CURVES]


def _flip_bit(record: str, position: int) -> str:
    """Flip the lowest bit of one character inside the payload section (still valid JSON text)."""
    header, payload, signature = record.split("|")
    index = payload.index('"MS":"') + 6 + position
    flipped = payload[:index] + chr(ord(payload[index]) ^ 1) + payload[index + 1 :]
    return "|".join((header, flipped, signature))


@pytest.fixture(params=CURVE_NAMES)
def meter(request, ocmf):
    return ocmf.meter(request.param)


@pytest.fixture
def record(ocmf, meter):
    readings = [ocmf.reading("B", "1.5"), ocmf.reading("E", "3.25", "2024-05-01T10:45:00,000+0200 S")]
    return meter.record(ocmf.payload("T1", readings))


def test_a_freshly_signed_record_verifies(meter, record):
    _, check = verify_signed_data(record, meter.spki_hex)

    assert check.valid, check.reason
    assert check_record(parse_ocmf(record), meter.public_key).verified


@pytest.mark.parametrize("position", [0, 3])
def test_one_flipped_bit_in_the_payload_breaks_the_signature(meter, record, position):
    _, check = verify_signed_data(_flip_bit(record, position), meter.spki_hex)

    assert not check.valid
    assert check.reason == "the signature does not match the payload and key"


def test_another_meters_key_on_the_same_curve_is_refused(ocmf, meter, record):
    other = ocmf.meter(meter.curve.name, secret=0xBADC0DE)

    assert not verify_signed_data(record, other.spki_hex)[1].valid


def test_a_key_on_another_curve_is_refused_even_before_the_maths(ocmf, meter, record):
    other_curve = next(name for name in CURVE_NAMES if name != meter.curve.name)

    _, check = verify_signed_data(record, ocmf.meter(other_curve).spki_hex)

    assert check.reason == f"the key is on {other_curve} but SA names {meter.curve.name}"


def test_sa_naming_another_curve_than_the_key_is_refused(ocmf, meter):
    other_curve = next(name for name in CURVE_NAMES if name != meter.curve.name)
    payload = ocmf.payload("T1", [ocmf.reading("B", "1")])

    forged = meter.record(payload, SA=f"ECDSA-{other_curve}-SHA256")

    assert "SA names" in (verify_signed_data(forged, meter.spki_hex)[1].reason or "")


def test_the_signature_section_is_not_signed_so_its_spelling_does_not_matter(ocmf, meter, record):
    sections = record.split("|")
    signature = json.loads(sections[2])
    der = bytes.fromhex(signature["SD"])
    variants = [
        {**signature, "SD": signature["SD"].lower()},
        {**signature, "SE": "base64", "SD": base64.b64encode(der).decode()},
        {**signature, "SE": "hex", "SM": "application/x-der", "XV": "vendor note"},
    ]
    key_base64 = base64.b64encode(bytes.fromhex(meter.spki_hex)).decode()
    for variant in variants:
        rewritten = "|".join((sections[0], sections[1], json.dumps(variant)))
        assert verify_signed_data(rewritten, key_base64)[1].valid
    assert verify_signed_data(record.encode().hex(), meter.spki_hex)[1].valid  # whole string hex-encoded


def test_without_sa_the_default_secp256r1_applies(ocmf):
    p256, k1 = ocmf.meter("secp256r1"), ocmf.meter("secp256k1")
    payload = ocmf.payload("T1", [ocmf.reading("B", "1")])

    assert verify_signed_data(p256.record(payload, SA=None), p256.spki_hex)[1].valid
    assert not verify_signed_data(k1.record(payload, SA=None), k1.spki_hex)[1].valid


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ({"SA": "ECDSA-secp521r1-SHA256"}, "unsupported signature algorithm"),
        ({"SA": "ECDSA-secp256r1-SHA512"}, "unsupported signature algorithm"),
        ({"SE": "base32"}, "unsupported signature encoding"),
        ({"SM": "application/x-raw"}, "unsupported signature mime type"),
        ({"SD": "30zz"}, "SD is not hex"),
        ({"SD": "3006020101020101" + "00"}, "canonical DER"),
        ({"SD": "300702020001020101"}, "canonical DER"),
    ],
)
def test_unusable_signature_sections_are_invalid_with_a_reason(ocmf, signature, reason):
    meter = ocmf.meter("secp256r1")
    record = meter.record(ocmf.payload("T1", [ocmf.reading("B", "1")]), **signature)

    _, check = verify_signed_data(record, meter.spki_hex)

    assert not check.valid
    assert reason in (check.reason or "")


# --- sessions ---


@pytest.fixture
def p256(ocmf):
    return ocmf.meter("secp256r1")


def _verdict(records, meter, **options):
    return check_session([parse_ocmf(record) for record in records], meter.public_key, **options)


@pytest.mark.parametrize("curve", CURVE_NAMES)
def test_a_session_of_begin_charging_end_records_verifies(ocmf, curve):
    meter = ocmf.meter(curve)

    verdict = _verdict(ocmf.session(meter), meter, token="04a1b2c3")

    assert verdict.outcome is Outcome.VERIFIED, verdict.reason
    assert str(verdict.energy) == "1.75"
    assert verdict.begin is not None
    assert verdict.begin.value_text == "10.5"


def test_swapped_begin_and_end_records_are_refused(ocmf, p256):
    begin, charging, end = ocmf.session(p256)

    assert "pagination jumps" in (_verdict([end, charging, begin], p256).reason or "")


def test_begin_and_end_letters_swapped_by_the_meter_are_refused(ocmf, p256):
    records = [
        p256.record(ocmf.payload("T1", [ocmf.reading("E", "10.5")])),
        p256.record(ocmf.payload("T2", [ocmf.reading("B", "12", "2024-05-01T11:00:00,000+0200 S")])),
    ]

    assert "does not start with a begin reading" in (_verdict(records, p256).reason or "")


def test_an_end_value_below_the_begin_value_is_refused(ocmf, p256):
    records = [
        p256.record(ocmf.payload("T1", [ocmf.reading("B", "12.25")])),
        p256.record(ocmf.payload("T2", [ocmf.reading("E", "10.5", "2024-05-01T11:00:00,000+0200 S")])),
    ]

    assert "falls from 12.25 to 10.5" in (_verdict(records, p256).reason or "")


def test_a_gap_in_the_pagination_is_refused(ocmf, p256):
    begin, _, end = ocmf.session(p256)

    assert _verdict([begin, end], p256).reason == "pagination jumps from T7 to T9: records are missing or out of order"


@pytest.mark.parametrize(("fields", "reason"), [({"EF": "E"}, "error flags 'E'"), ({"ST": "M"}, "MANIPULATED")])
def test_a_meter_error_in_any_reading_is_refused(ocmf, p256, fields, reason):
    records = ocmf.session(p256)
    records[1] = p256.record(
        ocmf.payload("T8", [ocmf.reading("C", "11.0", "2024-05-01T10:30:00,000+0200 S", **fields)])
    )

    assert reason in (_verdict(records, p256).reason or "")


def test_a_session_without_its_end_record_is_incomplete(ocmf, p256):
    verdict = _verdict(ocmf.session(p256)[:2], p256)

    assert verdict.reason == "no end reading for register 1-b:1.8.0: the session is incomplete"


def test_a_record_from_another_meter_behind_the_same_key_is_refused(ocmf, p256):
    # A gateway signing for several meters uses one key: the serial tells the meters apart.
    begin, charging, _ = ocmf.session(p256)
    neighbour = ocmf.meter("secp256r1", secret=p256.secret, serial="MTR-0002")

    verdict = _verdict([begin, charging, ocmf.session(neighbour)[2]], p256)

    assert verdict.reason == "record 3 (T9) comes from another meter (MS/GS differ from the first record)"


def test_records_signed_with_different_keys_are_refused(ocmf, p256):
    begin, charging, _ = ocmf.session(p256)
    rekeyed = ocmf.meter("secp256r1", secret=0xD00D)  # same serial, another key
    records = [parse_ocmf(record) for record in (begin, charging, ocmf.session(rekeyed)[2])]

    verdict = check_session(records, [p256.public_key, p256.public_key, rekeyed.public_key])

    assert verdict.reason == "the records are signed with different keys"
    assert "record 3 (T9): the signature does not match" in (check_session(records, p256.public_key).reason or "")


def test_the_identification_must_be_the_sessions_token(ocmf, p256):
    records = ocmf.session(p256)

    assert _verdict(records, p256, token=" 04A1B2C3 ").verified
    assert "not the session's token" in (_verdict(records, p256, token="DEADBEEF").reason or "")
    anonymous = ocmf.session(p256, IT="NONE", ID="")
    assert _verdict(anonymous, p256, token="DEADBEEF").verified  # nothing to compare with


def test_unsigned_data_is_neither_verified_nor_invalid(ocmf, p256):
    records = ocmf.session(p256)
    unsigned = [record.rsplit("|", 1)[0] + "|{}" for record in records]

    assert _verdict(unsigned, p256).outcome is Outcome.UNSIGNED
    assert check_session([], p256.public_key).outcome is Outcome.UNSIGNED
    mixed = _verdict([records[0], unsigned[1], records[2]], p256)
    assert (mixed.outcome, mixed.reason) == (Outcome.INVALID, "record 2 (T8) is not signed")

"""The shared conformance vectors (/work/shared/conformance/ocmf): every one gives its expected result.

``expected`` is a signature-level verdict under a strict verifier (see the vectors' README); the
session-level tests below use the vectors' groups (begin/end records of one charging session).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from receipts.domain.checks import check_record, check_session
from receipts.domain.crypto.keys import parse_spki_text
from receipts.domain.ocmf import parse_ocmf
from receipts.domain.results import Outcome
from receipts.domain.signatures import verify_signed_data

pytestmark = pytest.mark.unit

_REPO = Path(__file__).resolve().parents[4]
# The team's shared/ beside the repository is the living source; tests/data holds the copy taken on
# 2026-11-25 so that a clone anywhere (CI included) still checks every vector.
_CANDIDATES = [_REPO.parent / "shared", Path(__file__).resolve().parents[1] / "data"]
VECTORS_FILE = next(
    (base / "conformance" / "ocmf" / "vectors.json" for base in _CANDIDATES if (base / "conformance").is_dir()),
    _CANDIDATES[0] / "conformance" / "ocmf" / "vectors.json",
)
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text()) if VECTORS_FILE.is_file() else []
BY_ID = {vector["id"]: vector for vector in VECTORS}
needs_vectors = pytest.mark.skipif(not VECTORS, reason=f"conformance vectors not found at {VECTORS_FILE}")
OCMF_FORMATS = ("OCMF", "OCMF (hex)")


def _ids(*prefixes: str) -> list[dict[str, Any]]:
    return [vector for vector in VECTORS if vector["id"].startswith(prefixes)]


@needs_vectors
def test_the_vector_file_is_the_reviewed_one():
    assert len(VECTORS) == 256
    assert Counter(vector["format"] for vector in VECTORS) == {
        "OCMF": 213,
        "OCMF (hex)": 1,
        "ALFEN": 32,
        "EDL40_SIG": 4,
        "PCDF": 6,
    }


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["id"] for vector in VECTORS])
def test_vector_gives_its_expected_result(vector):
    kind, check = verify_signed_data(vector["data"], vector["public_key"])

    assert kind.value == vector["format"]
    assert ("valid" if check.valid else "invalid") == vector["expected"], check.reason


@needs_vectors
def test_every_ocmf_vector_parses_into_the_typed_model():
    # Signature-level validity must not hinge on the payload parser, but the parser must also
    # read every real-world record: numbers as strings, FV as a number, IS holding a level...
    for vector in VECTORS:
        if vector["format"] in OCMF_FORMATS:
            record = parse_ocmf(vector["data"])
            assert record.payload.readings, vector["id"]


@needs_vectors
@pytest.mark.parametrize(
    ("vector_id", "reason"),
    [
        ("tps-test-value2", "canonical DER"),
        ("keba-kcp30-sa-curve-mismatch", "the key is on secp256r1 but SA names secp256k1"),
        ("tps-isa-ocmf-ocmf-receipt-with-publickey-and-data-value1", "not a DER SubjectPublicKeyInfo"),
        ("keba-kcp30-payload-reserialized", "does not match"),
    ],
)
def test_invalid_vectors_say_why(vector_id, reason):
    vector = BY_ID[vector_id]

    _, check = verify_signed_data(vector["data"], vector["public_key"])

    assert reason in (check.reason or "")


def _session(*vector_ids: str) -> tuple[list, list]:
    vectors = [BY_ID[vector_id] for vector_id in vector_ids]
    return [parse_ocmf(v["data"]) for v in vectors], [parse_spki_text(v["public_key"]) for v in vectors]


@needs_vectors
@pytest.mark.parametrize(
    ("vector_ids", "energy"),
    [
        (("tps-test-ocmf-ebee-01-value1", "tps-test-ocmf-ebee-01-value2"), "0"),
        (("tps-brainpoolp256r1-value1", "tps-brainpoolp256r1-value2"), "0"),
        (("tps-nistp384-0wh-value1", "tps-nistp384-0wh-value2"), "0"),
        (("chargy-bsm-ocmf-value1", "chargy-bsm-ocmf-value2"), "150"),
        (("bsm-ev-charging-ocmf-value1", "bsm-ev-charging-ocmf-value2"), "0.15"),
        (("tps-ocmf-test-data-00-value1", "tps-ocmf-test-data-00-value2"), "0.000"),
        (
            (
                "chargy-safe-testdata-02-withoutxmlnamespace-value1",
                "chargy-safe-testdata-02-withoutxmlnamespace-value2",
                "chargy-safe-testdata-02-withoutxmlnamespace-value3",
            ),
            "0.000",
        ),
        (("keba-kcp30",), "0.0001"),  # begin and end in one record
        (("pyocmf-working-ocmf-value1",), "17796"),  # B, C, S, E in one record
        (("tps-ocmf-example-obis-98-8-0-2-8-0-value1",), "1.0"),  # two registers side by side
    ],
)
def test_real_sessions_verify(vector_ids, energy):
    records, keys = _session(*vector_ids)

    verdict = check_session(records, keys)

    assert verdict.outcome is Outcome.VERIFIED, verdict.reason
    assert str(verdict.energy) == energy


@needs_vectors
@pytest.mark.parametrize(
    ("vector_ids", "reason"),
    [
        (("tps-second-key-fail-ocmf-value1", "tps-second-key-fail-ocmf-value2"), "record 2 (T1041)"),
        (
            ("tps-20211007-device-with-evt-ocmf-sss-ses-value1", "tps-20211007-device-with-evt-ocmf-sss-ses-value2"),
            "'Et'",
        ),
        (("tps-ocmfverificationparsertest-ef-t-test",), "error flags 't'"),
        (("tps-test-ocmf-transaction-two-values-value1",), "TX=X"),
        (("chargy-ptb-simple-ocmfbegin", "chargy-ptb-simple-ocmfend"), "'TRANSACTION-1' is not <letter><number>"),
        (("tps-test-ocmf-ebee-01-value2", "tps-test-ocmf-ebee-01-value1"), "pagination jumps from T29 to T28"),
        (("tps-test-ocmf-ebee-01-value1",), "incomplete"),
        (("tps-brainpoolp256r1-value1", "tps-nistp384-0wh-value2"), "signed with different keys"),
    ],
)
def test_real_sessions_that_must_be_refused(vector_ids, reason):
    records, keys = _session(*vector_ids)

    verdict = check_session(records, keys)

    assert verdict.outcome is Outcome.INVALID
    assert reason in (verdict.reason or "")


@needs_vectors
def test_the_hundred_keba_records_are_each_a_verified_session_in_one_unbroken_series():
    series = _ids("tps-keba-test-value")
    records, keys = _session(*(vector["id"] for vector in series))

    assert len(records) == 100
    assert all(check_session([record], key).verified for record, key in zip(records, keys, strict=True))
    numbers = [record.payload.pagination.number for record in records]
    assert numbers == list(range(46669, 46769))


@needs_vectors
def test_a_record_with_a_meter_error_has_a_valid_signature_but_is_not_billable():
    vector = BY_ID["tps-20211007-device-with-evt-ocmf-sss-ses-value1"]
    record, key = parse_ocmf(vector["data"]), parse_spki_text(vector["public_key"])

    verdict = check_record(record, key)

    assert verify_signed_data(vector["data"], vector["public_key"])[1].valid
    assert verdict.outcome is Outcome.INVALID

"""``ladeplan receipts verify``: one JSON object on stdout, exit 0 valid / 1 invalid / 2 unusable."""

from __future__ import annotations

import io
import json

import pytest

from receipts.cli import verify_main

pytestmark = pytest.mark.unit


@pytest.fixture
def meter(ocmf):
    return ocmf.meter("secp256r1")


@pytest.fixture
def record(ocmf, meter):
    readings = [ocmf.reading("B", "1.5"), ocmf.reading("E", "3.25", "2024-05-01T10:45:00,000+0200 U")]
    return meter.record(ocmf.payload("T1", readings))


def run(capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = verify_main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_a_valid_record_prints_its_readings_and_exits_0(capsys, meter, record):
    code, result = run(capsys, "--public-key", meter.spki_hex, record)

    assert code == 0
    assert result["valid"] is True
    assert (result["format"], result["meter_serial"], result["pagination"]) == ("OCMF", "MTR-0001", "T1")
    assert result["readings"][0] == {
        "time": "2024-05-01T10:00:00.000+02:00", "time_sync": "S", "reason": "B", "value": "1.5", "unit": "kWh",
        "register": "1-b:1.8.0", "status": "G", "error_flags": "",
    }  # fmt: skip
    assert result["energy"] == {"value": "1.75", "unit": "kWh"}
    assert result["notes"] == ["the end time comes from an unsynchronised clock (U)"]


def test_data_is_read_from_standard_input_with_a_dash(capsys, monkeypatch, meter, record):
    code, result = run(capsys, "--public-key", meter.spki_hex, "-", stdin=record + "\n", monkeypatch=monkeypatch)

    assert (code, result["valid"]) == (0, True)


def test_a_tampered_record_exits_1_with_the_reason(capsys, meter, record):
    code, result = run(capsys, "--public-key", meter.spki_hex, record.replace('"RV":3.25', '"RV":3.5'))

    assert code == 1
    assert result["valid"] is False
    assert result["reason"] == "the record: the signature does not match the payload and key"
    assert result["readings"][1]["value"] == "3.5"  # shown, but refused


def test_a_signature_that_holds_on_a_record_reporting_a_meter_error_exits_1(capsys, ocmf, meter):
    failing = meter.record(ocmf.payload("T1", [ocmf.reading("B", "1", ST="E")]))

    code, result = run(capsys, "--public-key", meter.spki_hex, failing)

    assert (code, result["signature_valid"], result["reason"]) == (1, True, "reading 1: meter status E (OTHER_ERROR)")


def test_unsigned_data_exits_1_whatever_the_key(capsys, meter, record):
    unsigned = record.rsplit("|", 1)[0] + "|{}"

    for key in (meter.spki_hex, "04" + "11" * 64):
        code, result = run(capsys, "--public-key", key, unsigned)
        assert (code, result["outcome"], result["reason"]) == (1, "unsigned", "the record is not signed (no SD)")


def test_the_token_must_match_the_identification(capsys, meter, record):
    assert run(capsys, "--public-key", meter.spki_hex, "--token", "04a1b2c3", record)[0] == 0
    code, result = run(capsys, "--public-key", meter.spki_hex, "--token", "FFFF", record)
    assert (code, result["reason"]) == (1, "the identification in the data (ID) is not the session's token")


def test_a_key_that_is_not_an_spki_makes_the_record_invalid_not_unusable(capsys, meter, record):
    code, result = run(capsys, "--public-key", "04" + "11" * 64, record)

    assert code == 1
    assert "not a DER SubjectPublicKeyInfo" in result["reason"]


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--public-key", "3059", "not signed data"], "not signed meter data in a known format"),
        (["--public-key", "3059", "OCMF|{}|{}"], "PG (pagination) is missing"),
        (["--public-key", "3059", "AP;1;2;"], "Alfen data is not"),
    ],
)
def test_unreadable_data_exits_2(capsys, argv, reason):
    code, result = run(capsys, *argv)

    assert code == 2
    assert result["outcome"] == "unusable"
    assert reason in result["reason"]


def test_a_key_in_no_known_encoding_exits_2(capsys, record):
    code, result = run(capsys, "--public-key", "not a key!", record)

    assert (code, result["reason"]) == (2, "public key is neither hex, base64 nor base32")


def test_usage_errors_exit_2_and_help_exits_0(capsys):
    assert verify_main([]) == 2
    assert verify_main(["--help"]) == 0
    assert "--public-key" in capsys.readouterr().out


def test_other_formats_are_verified_at_signature_level(capsys):
    data = (
        "128.8.0(ST:200501162017)(CT:200501162025)(CD:000217)(TV:1)(BV:1)(CSC:1)(SP:1)(RV:0003.276*kWh)"
        "(SI:55*1*959bff1e-7164-4132-b783-4a9feed1bfee)(CS:513f627b)(HW:12345678901)(DT:0)"
        "(PK:049a3ac42ff9aa0ddfe9b627f1f3b5c1ff39f4ff26fa4f495ca86490d625a13bf3d9aa3d70989746fc5322f79f05c85dac5d23caf14f2e60221d52a8c746eaba37)"
        "(SG:304502210087b8137ecdc0340319474452b36592ca66aadb3b141295921eb9b08f08336a1902207eec4c574812afc55b42b84708367daf63dd29713e9321823497f051976c3920)"
    )  # TPS src/test/resources/pcdf/valid.pcdf
    key = data.partition("(PK:")[2].partition(")")[0]

    code, result = run(capsys, "--public-key", key, data)

    assert (code, result["format"], result["valid"]) == (0, "PCDF", True)
    assert run(capsys, "--public-key", key, data.replace("0003.276", "0003.277"))[0] == 1

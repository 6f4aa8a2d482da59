"""A session's verdict from its captured values and the meter key (operator's, carried, remembered)."""

from __future__ import annotations

import base64

import pytest

from receipts.domain.results import Outcome
from receipts.domain.verification import CapturedValue, KeySource, MeterKey, verify_session

pytestmark = pytest.mark.unit


@pytest.fixture
def meter(ocmf):
    return ocmf.meter("secp256r1")


@pytest.fixture
def records(ocmf, meter):
    return ocmf.session(meter)  # T7 begin 10.5, T8 charging 11.0, T9 end 12.25 (kWh), ID 04A1B2C3


def values(records, *, contexts=("Transaction.Begin", "Sample.Periodic", "Transaction.End"), keys=None):
    keys = keys or [None] * len(records)
    return [
        CapturedValue(100 + index, context, record, key)
        for index, (record, context, key) in enumerate(zip(records, contexts, keys, strict=True))
    ]


def operator_key(meter):
    return MeterKey(meter.spki_hex, KeySource.OPERATOR_API)


def test_a_session_verified_with_the_operators_key_is_billable(records, meter):
    verdict = verify_session(values(records), configured=operator_key(meter), token="04a1b2c3")

    assert (verdict.outcome, verdict.reason, verdict.billable) == (Outcome.VERIFIED, None, True)
    assert (verdict.begin.value_text, verdict.end.value_text, str(verdict.energy)) == ("10.5", "12.25", "1.75")
    assert (verdict.begin_record_id, verdict.end_record_id) == (100, 102)
    assert verdict.key == operator_key(meter)
    assert verdict.format == "OCMF"
    assert verdict.notes == ()


def test_a_key_carried_by_the_values_verifies_but_is_noted_as_unchecked(records, meter):
    b64 = base64.b64encode(bytes.fromhex(meter.spki_hex)).decode()
    verdict = verify_session(values(records, keys=[b64, "", None]))

    assert verdict.outcome is Outcome.VERIFIED
    assert verdict.key == MeterKey(b64, KeySource.SIGNED_VALUE)
    assert any("not checked against a configured key" in note for note in verdict.notes)


def test_a_key_remembered_from_earlier_values_stands_in(records, meter):
    remembered = MeterKey(meter.spki_hex, KeySource.SIGNED_VALUE)
    assert verify_session(values(records), remembered=remembered).outcome is Outcome.VERIFIED


def test_without_any_key_the_session_is_invalid(records):
    verdict = verify_session(values(records))
    assert verdict.outcome is Outcome.INVALID
    assert not verdict.billable
    assert "no public key is known" in verdict.reason


def test_the_operators_key_wins_over_a_key_the_charge_point_sends(ocmf, records, meter):
    other = ocmf.meter("secp256r1", secret=0xBEEF)
    verdict = verify_session(values(records, keys=[meter.spki_hex] * 3), configured=operator_key(other))

    assert verdict.outcome is Outcome.INVALID
    assert "signature does not match" in verdict.reason
    assert "another key than the one configured" in verdict.notes[-1]
    assert verdict.key == operator_key(other)


def test_a_tampered_end_record_makes_the_session_invalid(records, meter):
    tampered = [*records[:2], records[2].replace('"RV":12.25', '"RV":12.35')]
    verdict = verify_session(values(tampered), configured=operator_key(meter))

    assert verdict.outcome is Outcome.INVALID
    assert verdict.reason == "record 3 (T9): the signature does not match the payload and key"
    assert not verdict.billable


def test_no_values_is_unsigned():
    verdict = verify_session([])
    assert (verdict.outcome, verdict.billable) == (Outcome.UNSIGNED, False)
    assert verdict.reason == "no signed meter values were received for this session"


def test_a_repeated_value_counts_once(records, meter):
    contexts = ("Transaction.Begin", "Transaction.Begin", "Sample.Periodic", "Transaction.End")
    repeated = values([records[0], *records], contexts=contexts)
    verdict = verify_session(repeated, configured=operator_key(meter))
    assert verdict.outcome is Outcome.VERIFIED
    assert [value.record_id for value in verdict.values] == [100, 102, 103]


def test_an_unreadable_value_is_named(records, meter):
    verdict = verify_session(values([records[0], "garbage", records[2]]), configured=operator_key(meter))
    assert verdict.outcome is Outcome.INVALID
    assert verdict.reason.startswith("signed value 101: not signed meter data")


def test_values_in_different_formats_are_refused(records, meter):
    alfen = "AP;0;3;" + "A" * 40
    verdict = verify_session(values([records[0], alfen], contexts=(None, None)), configured=operator_key(meter))
    assert verdict.outcome is Outcome.INVALID
    assert "different formats" in verdict.reason


def test_the_token_must_match_the_identification_in_the_data(records, meter):
    verdict = verify_session(values(records), configured=operator_key(meter), token="SOMEONE-ELSE")
    assert verdict.outcome is Outcome.INVALID
    assert "not the session's token" in verdict.reason


def test_missing_contexts_are_read_from_the_ocmf_readings(records, meter):
    verdict = verify_session(values(records, contexts=(None, None, None)), configured=operator_key(meter))
    assert [value.context for value in verdict.values] == ["Transaction.Begin", "Sample.Periodic", "Transaction.End"]


def test_base64_and_hex_transports_verify_like_plain_text(records, meter):
    sent = [base64.b64encode(records[0].encode()).decode(), records[1].encode().hex(), records[2]]
    verdict = verify_session(values(sent), configured=operator_key(meter))
    assert verdict.outcome is Outcome.VERIFIED
    assert [value.data.transport.value for value in verdict.values] == ["base64", "hex", "plain"]


def test_records_handled_out_of_order_are_checked_in_the_meters_signed_order(records, meter):
    """Regression: handled concurrently, a begin's MeterValues and the end were stored end first."""
    shuffled = values([records[2], records[0], records[1]], contexts=("Transaction.End", "Transaction.Begin", None))
    verdict = verify_session(shuffled, configured=operator_key(meter))
    assert verdict.outcome is Outcome.VERIFIED
    assert (verdict.begin_record_id, verdict.end_record_id) == (101, 100)
    assert [value.record_id for value in verdict.values] == [101, 102, 100]

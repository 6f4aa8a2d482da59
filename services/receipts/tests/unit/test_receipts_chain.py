"""The hash chain: every change, removal, insertion or reordering of a record shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from receipts.domain.chain import GENESIS, ChainLink, ChainVerifier, canonical, record_hash

pytestmark = pytest.mark.unit


def fields(n: int) -> dict:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
    return {"id": n, "charge_point_id": "CP-1", "signed_meter_data": f'OCMF|{{"RV":{n}.50}}|{{}}', "received_at": at}


def chain(count: int) -> list[ChainLink]:
    links, prev = [], GENESIS
    for n in range(1, count + 1):
        digest = record_hash(prev, fields(n))
        links.append(ChainLink(n, prev, digest, fields(n)))
        prev = digest
    return links


def verify(links):
    verifier = ChainVerifier()
    for link in links:
        if not verifier.add(link):
            break
    return verifier.report()


def test_an_intact_chain_verifies_and_names_its_head():
    links = chain(5)
    report = verify(links)
    assert (report.valid, report.records, report.head, report.first_bad_id) == (True, 5, links[-1].record_hash, None)


def test_an_empty_chain_is_valid():
    assert verify([]).valid


def test_a_changed_field_is_found_at_its_record():
    links = chain(5)
    links[2] = replace(links[2], fields={**links[2].fields, "signed_meter_data": 'OCMF|{"RV":3.51}|{}'})
    report = verify(links)
    assert (report.valid, report.first_bad_id) == (False, 3)
    assert "do not match its record_hash" in report.reason


def test_a_recomputed_hash_breaks_the_next_link():
    links = chain(5)
    forged = {**links[2].fields, "signed_meter_data": "forged"}
    links[2] = replace(links[2], fields=forged, record_hash=record_hash(links[2].prev_hash, forged))
    assert verify(links).first_bad_id == 4


@pytest.mark.parametrize("edit", ["remove", "swap"])
def test_removed_or_reordered_records_break_the_chain(edit):
    links = chain(5)
    if edit == "remove":
        del links[1]
    else:
        links[1], links[2] = links[2], links[1]
    assert verify(links).first_bad_id == links[1].id


def test_canonical_form_is_sorted_compact_and_utc():
    berlin = timezone(timedelta(hours=2))
    text = canonical({"b": 1, "a": "ü", "t": datetime(2026, 1, 1, 12, tzinfo=berlin)})
    assert text == b'{"a":"\\u00fc","b":1,"t":"2026-01-01T10:00:00.000000+00:00"}'


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="timezone"):
        canonical({"t": datetime(2026, 1, 1)})

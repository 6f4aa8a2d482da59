"""What a verifier owes a customer before a signed session may be billed (OCMF).

The spec ("Signing and Verification Process") asks for more than valid signatures: the records
of one session come from one source, their pagination has no gaps, the first marks the begin and
the last the end, and error conditions make the data unusable. Each check below raises the
first problem it finds as a sentence, so a refused receipt always says why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from .crypto.keys import PublicKey
from .ocmf.model import MeterStatus, OcmfRecord, Reading, ReadingReason, TimeSync
from .results import Outcome, Verdict
from .signatures import verify_ocmf_sections

# A register's reasons in order: at most one begin, charging/suspended/tariff change, at most one end.
_TRANSACTION_SHAPE = re.compile(r"B?[CST]*[ELRAP]?")
# An ID under these types identifies nobody, so it cannot contradict the session's token.
_NO_IDENTIFICATION = frozenset({"NONE", "DENIED", "UNDEFINED"})


class _Refused(Exception):
    """Internal: the first problem found, as the verdict's reason."""


def _label(records: Sequence[OcmfRecord], index: int) -> str:
    return f"record {index + 1} ({records[index].payload.pagination.text})" if len(records) > 1 else "the record"


def _check_signatures(records: Sequence[OcmfRecord], keys: Sequence[PublicKey]) -> None:
    for index, (record, key) in enumerate(zip(records, keys, strict=True)):
        check = verify_ocmf_sections(record.sections, key)
        if not check.valid:
            raise _Refused(f"{_label(records, index)}: {check.reason}")
    if any(key != keys[0] for key in keys):
        raise _Refused("the records are signed with different keys")


def _check_source(records: Sequence[OcmfRecord]) -> None:
    first = records[0].payload
    for index, record in enumerate(records[1:], start=1):
        payload = record.payload
        if (payload.meter_serial, payload.gateway_serial) != (first.meter_serial, first.gateway_serial):
            raise _Refused(f"{_label(records, index)} comes from another meter (MS/GS differ from the first record)")


def _check_pagination(records: Sequence[OcmfRecord]) -> None:
    if len(records) < 2:
        return
    pages = [record.payload.pagination for record in records]
    numbers: list[int] = []
    for index, page in enumerate(pages):
        if page.number is None:
            raise _Refused(f"{_label(records, index)}: pagination {page.text!r} is not <letter><number>")
        numbers.append(page.number)
    for index in range(1, len(pages)):
        previous, page = pages[index - 1], pages[index]
        if page.context != previous.context:
            raise _Refused(f"pagination changes context from {previous.text} to {page.text}")
        if numbers[index] != numbers[index - 1] + 1:
            raise _Refused(f"pagination jumps from {previous.text} to {page.text}: records are missing or out of order")


def _check_meter_state(readings: Sequence[Reading]) -> None:
    for index, reading in enumerate(readings, start=1):
        if reading.error_flags:
            raise _Refused(f"reading {index} carries error flags {reading.error_flags!r} (E: energy, t: time unusable)")
        if reading.status is None:
            raise _Refused(f"reading {index} has no meter status (ST)")
        if reading.status is not MeterStatus.OK:
            raise _Refused(f"reading {index}: meter status {reading.status.value} ({reading.status.name})")


def _by_register(readings: Sequence[Reading]) -> dict[str | None, list[Reading]]:
    """Readings grouped by register (``RI``): a record may carry several registers side by side."""
    groups: dict[str | None, list[Reading]] = {}
    for reading in readings:
        groups.setdefault(reading.register, []).append(reading)
    return groups


def _check_progression(readings: Sequence[Reading]) -> None:
    """Per register: time never runs backwards, the unit stays, the value never falls."""
    for register, series in _by_register(readings).items():
        for previous, reading in pairwise(series):
            if previous.time is not None and reading.time is not None and reading.time.at < previous.time.at:
                raise _Refused(f"register {register}: {reading.time.text} comes after {previous.time.text}")
            if reading.unit != previous.unit:
                raise _Refused(f"register {register} changes unit from {previous.unit} to {reading.unit}")
            if previous.value is not None and reading.value is not None and reading.value < previous.value:
                change = f"{previous.value_text} to {reading.value_text} {reading.unit}"
                raise _Refused(f"register {register} falls from {change}")


def _begin_and_end(readings: Sequence[Reading], *, complete: bool) -> tuple[Reading | None, Reading | None]:
    """The billed register's begin and end readings; ``complete`` requires both to exist.

    The billed register is the one the transaction begins with (the first reading); others
    (export, duration, uncompensated energy) travel along and must be in order too.
    """
    transaction = [reading for reading in readings if reading.reason is not None]
    if any(reading.reason is ReadingReason.EXCEPTION for reading in transaction):
        raise _Refused("a reading reports an error during charging (TX=X): values are unusable from there on")
    if complete and (not transaction or transaction[0].reason is not ReadingReason.BEGIN):
        raise _Refused("the session does not start with a begin reading (TX=B)")
    groups = _by_register(transaction)
    for register, series in groups.items():
        letters = "".join(str(reading.reason) for reading in series)
        if not _TRANSACTION_SHAPE.fullmatch(letters):
            raise _Refused(f"register {register}: readings are not in the order begin, charging, end ({letters})")
    if not transaction:
        return None, None
    series = groups[transaction[0].register]
    begin = series[0] if series[0].reason is ReadingReason.BEGIN else None
    end = series[-1] if series[-1].reason is not None and series[-1].reason.ends_transaction else None
    if complete and end is None:
        raise _Refused(f"no end reading for register {series[0].register}: the session is incomplete")
    if begin is None or end is None:
        return begin, None
    if begin.value is None or end.value is None or begin.time is None or end.time is None:
        raise _Refused(f"begin and end readings of register {begin.register} need a time and a value")
    return begin, end


def _check_identification(records: Sequence[OcmfRecord], token: str | None) -> None:
    identified = [
        (index, (record.payload.identification_data or "").strip())
        for index, record in enumerate(records)
        if (record.payload.identification_type or "").upper() not in _NO_IDENTIFICATION
    ]
    identities = {data.casefold() for _, data in identified if data}
    if len(identities) > 1:
        raise _Refused("the records identify different users (ID differs)")
    if token is not None and identities and identities != {token.strip().casefold()}:
        raise _Refused("the identification in the data (ID) is not the session's token")


def _notes(begin: Reading | None, end: Reading | None) -> tuple[str, ...]:
    return tuple(
        f"the {name} time comes from an unsynchronised clock (U)"
        for name, reading in (("begin", begin), ("end", end))
        if reading is not None and reading.time is not None and reading.time.sync is TimeSync.UNSYNCHRONIZED
    )


def _verdict(records: Sequence[OcmfRecord], keys: Sequence[PublicKey], token: str | None, *, complete: bool) -> Verdict:
    unsigned = [index for index, record in enumerate(records) if record.signature.data is None]
    if not records or len(unsigned) == len(records):
        return Verdict(Outcome.UNSIGNED, "there is no signed meter data")
    if unsigned:
        return Verdict(Outcome.INVALID, f"{_label(records, unsigned[0])} is not signed")
    readings = [reading for record in records for reading in record.payload.readings]
    try:
        _check_signatures(records, keys)
        _check_source(records)
        _check_pagination(records)
        _check_meter_state(readings)
        _check_progression(readings)
        begin, end = _begin_and_end(readings, complete=complete)
        _check_identification(records, token)
    except _Refused as refusal:
        return Verdict(Outcome.INVALID, str(refusal))
    return Verdict(Outcome.VERIFIED, begin=begin, end=end, notes=_notes(begin, end))


def check_record(record: OcmfRecord, key: PublicKey, *, token: str | None = None) -> Verdict:
    """One record on its own: signature, meter state and order; begin and end only if it holds both."""
    return _verdict([record], [key], token, complete=False)


def check_session(
    records: Sequence[OcmfRecord], keys: PublicKey | Sequence[PublicKey], *, token: str | None = None
) -> Verdict:
    """The records of one session in the order received (begin first), each with its published key.

    One key stands for all records; a key per record lets the check catch a session whose
    records were signed by different meters. ``token`` is the session's authorisation token.
    """
    key_list = [keys] * len(records) if isinstance(keys, PublicKey) else list(keys)
    if len(key_list) != len(records):
        raise ValueError("one key, or one key per record")
    return _verdict(records, key_list, token, complete=True)

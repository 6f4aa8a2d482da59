"""A session's verdict from the signed values captured for it and the meter's key.

The key rule: a key the operator configured (from the charge point's label or the meter's
certificate) is the meter's key, and every value must verify with it. Without one, the keys
that travelled with the values are used, and the verdict notes that the key has not been
compared with the label. A key seen in earlier sessions of the same EVSE stands in for charge
points that send their key once, not with every value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from .checks import check_session
from .crypto.keys import KeyEncodingError, KeyFormatError, PublicKey, parse_spki_text
from .formats.raw import MalformedSignedData
from .ocmf import OcmfParseError, OcmfRecord, Reading, ReadingReason, parse_ocmf
from .results import Outcome, SignedDataFormat
from .signatures import UnknownFormat, verify_signed_data
from .signed_data import MeterData, meter_data

BEGIN, END, PERIODIC = "Transaction.Begin", "Transaction.End", "Sample.Periodic"
_CONTEXT_RANK = {BEGIN: 0, END: 2}
_OCMF = (SignedDataFormat.OCMF, SignedDataFormat.OCMF_HEX)


class KeySource(StrEnum):
    """Where a meter key came from (kept with every key and every receipt)."""

    OPERATOR_API = "operator_api"
    SIGNED_VALUE = "signed_value"
    OCPP_CONFIGURATION = "ocpp_configuration"
    """Read from the charge point's configuration or device model (not collected yet)."""


@dataclass(frozen=True)
class MeterKey:
    text: str
    source: KeySource


@dataclass(frozen=True)
class CapturedValue:
    """One stored signed value, as verification needs it."""

    record_id: int
    context: str | None
    signed_meter_data: str
    public_key: str | None


@dataclass(frozen=True)
class ReceiptValue:
    """A value that counts for the receipt: the meter's data found in it, and its context."""

    record_id: int
    context: str
    data: MeterData


@dataclass(frozen=True)
class SessionVerdict:
    outcome: Outcome
    reason: str | None = None
    key: MeterKey | None = None
    values: tuple[ReceiptValue, ...] = ()
    """The values checked, in the order received, repeated ones dropped."""
    begin: Reading | None = None
    end: Reading | None = None
    begin_record_id: int | None = None
    end_record_id: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def billable(self) -> bool:
        """Only what verified may be billed under a calibration-law tariff."""
        return self.outcome is Outcome.VERIFIED

    @property
    def energy(self) -> Decimal | None:
        if self.begin is None or self.end is None or self.begin.value is None or self.end.value is None:
            return None
        return self.end.value - self.begin.value

    @property
    def format(self) -> str | None:
        return self.values[0].data.transparency_format if self.values else None


class _Refused(Exception):
    pass


def _context(context: str | None, record: OcmfRecord | None) -> str:
    if context:
        return context
    reasons = [reading.reason for reading in record.payload.readings if reading.reason] if record else []
    if reasons and reasons[0] is ReadingReason.BEGIN:
        return BEGIN
    if reasons and reasons[-1].ends_transaction:
        return END
    return PERIODIC


def context_of(context: str | None, data: MeterData) -> str:
    """The value's OCPP context; for OCMF sent without one, what its readings say (begin, end, periodic)."""
    record = None
    if not context and data.format in _OCMF:
        with contextlib.suppress(OcmfParseError):
            record = parse_ocmf(data.data)
    return _context(context, record)


def _readable(values: Sequence[CapturedValue]) -> list[tuple[CapturedValue, MeterData]]:
    """Each value's meter data; a value repeated (a charge point's retry) counts once."""
    found: list[tuple[CapturedValue, MeterData]] = []
    seen: set[str] = set()
    for value in values:
        try:
            data = meter_data(value.signed_meter_data, public_key=value.public_key)
        except UnknownFormat as error:
            raise _Refused(f"signed value {value.record_id}: {error}") from None
        if data.data.strip() not in seen:
            seen.add(data.data.strip())
            found.append((value, data))
    return found


def _same_key(a: str, b: str) -> bool:
    with contextlib.suppress(ValueError):
        return parse_spki_text(a) == parse_spki_text(b)
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


def _keys(
    readable: Sequence[tuple[CapturedValue, MeterData]], configured: MeterKey | None, remembered: MeterKey | None
) -> tuple[MeterKey, list[str], list[str]]:
    """The key shown on the receipt, the key text per value, and notes about the choice."""
    carried = [data.public_key for _, data in readable]
    if configured is not None:
        differing = any(key is not None and not _same_key(key, configured.text) for key in carried)
        notes = ["the charge point sent another key than the one configured for this EVSE"] if differing else []
        return configured, [configured.text] * len(readable), notes
    first = next((key for key in carried if key is not None), None)
    fallback = MeterKey(first, KeySource.SIGNED_VALUE) if first is not None else remembered
    if fallback is None:
        raise _Refused("no public key is known for this meter: none came with the values and none is configured")
    note = "the key came with the charge point's data and is not checked against a configured key (label)"
    return fallback, [key or fallback.text for key in carried], [note]


def _record_of(reading: Reading | None, parsed: Sequence[tuple[ReceiptValue, OcmfRecord]]) -> int | None:
    for value, record in parsed:
        if any(candidate is reading for candidate in record.payload.readings):
            return value.record_id
    return None


def _in_pagination_order(
    items: Sequence[tuple[ReceiptValue, OcmfRecord, str]],
) -> list[tuple[ReceiptValue, OcmfRecord, str]]:
    """The records in the meter's own, signed order (``PG``), not in the order messages were handled.

    Charge points resend values they got no answer for, and a reconnect may move them to another
    gateway node: arrival order proves nothing. Where the pagination is unusable, the checks say so.
    """
    pages = [record.payload.pagination for _, record, _ in items]
    if any(page.number is None for page in pages) or len({page.context for page in pages}) > 1:
        return list(items)
    return sorted(items, key=lambda item: item[1].payload.pagination.number or 0)


def context_rank(context: str) -> int:
    """Sorts begin first, end last and the rest in between (sorting is stable: each group keeps its order)."""
    return _CONTEXT_RANK.get(context, 1)


def _verify_ocmf(
    readable: Sequence[tuple[CapturedValue, MeterData]], key_texts: Sequence[str], token: str | None
) -> SessionVerdict:
    items: list[tuple[ReceiptValue, OcmfRecord, str]] = []
    for (value, data), key_text in zip(readable, key_texts, strict=True):
        try:
            record = parse_ocmf(data.data)
        except OcmfParseError as error:
            raise _Refused(f"signed value {value.record_id}: {error}") from None
        items.append((ReceiptValue(value.record_id, _context(value.context, record), data), record, key_text))
    items = _in_pagination_order(items)
    parsed = [(value, record) for value, record, _ in items]
    keys: list[PublicKey] = []
    for _, _, text in items:
        try:
            keys.append(parse_spki_text(text))
        except (KeyEncodingError, KeyFormatError) as error:
            raise _Refused(f"the meter's public key is not usable: {error}") from None
    verdict = check_session([record for _, record in parsed], keys, token=token)
    return SessionVerdict(
        verdict.outcome,
        verdict.reason,
        values=tuple(value for value, _ in parsed),
        begin=verdict.begin,
        end=verdict.end,
        begin_record_id=_record_of(verdict.begin, parsed),
        end_record_id=_record_of(verdict.end, parsed),
        notes=verdict.notes,
    )


def _verify_signatures(readable: Sequence[tuple[CapturedValue, MeterData]], key_texts: Sequence[str]) -> SessionVerdict:
    """Alfen, EDL40, PCDF: the signature of every value; their readings are not decoded yet."""
    receipt_values = [ReceiptValue(value.record_id, _context(value.context, None), data) for value, data in readable]
    keyed = sorted(zip(receipt_values, key_texts, strict=True), key=lambda item: context_rank(item[0].context))
    values = tuple(value for value, _ in keyed)
    if len(values) < 2:
        raise _Refused("a session needs a signed begin and a signed end value; only one arrived")
    for value, key_text in keyed:
        try:
            _, check = verify_signed_data(value.data.data, key_text)
        except (UnknownFormat, OcmfParseError, MalformedSignedData, KeyEncodingError) as error:
            raise _Refused(f"signed value {value.record_id}: {error}") from None
        if not check.valid:
            raise _Refused(f"signed value {value.record_id}: {check.reason}")
    note = f"{values[0].data.transparency_format}: signatures checked; the readings in the data are not decoded"
    return SessionVerdict(
        Outcome.VERIFIED,
        values=values,
        begin_record_id=values[0].record_id,
        end_record_id=values[-1].record_id,
        notes=(note,),
    )


def verify_session(
    values: Sequence[CapturedValue],
    *,
    configured: MeterKey | None = None,
    remembered: MeterKey | None = None,
    token: str | None = None,
) -> SessionVerdict:
    """The verdict on a session's captured values (in the order received).

    ``configured`` is the operator's key for the EVSE, ``remembered`` the last key an earlier
    value of the EVSE carried; ``token`` the session's authorisation token.
    """
    if not values:
        return SessionVerdict(Outcome.UNSIGNED, "no signed meter values were received for this session")
    key = configured or remembered
    try:
        readable = _readable(values)
        key, key_texts, key_notes = _keys(readable, configured, remembered)
        formats = sorted({data.transparency_format for _, data in readable})
        if len(formats) > 1:
            raise _Refused(f"the signed values come in different formats ({', '.join(formats)})")
        if readable[0][1].format in _OCMF:
            verdict = _verify_ocmf(readable, key_texts, token)
        else:
            verdict = _verify_signatures(readable, key_texts)
    except _Refused as refusal:
        return SessionVerdict(Outcome.INVALID, str(refusal), key=key)
    return replace(verdict, key=key, notes=(*verdict.notes, *key_notes))

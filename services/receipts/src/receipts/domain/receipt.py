"""Verifying one piece of signed meter data as a customer hands it in: any format, one key."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import check_record
from .crypto.keys import KeyFormatError, key_bytes_candidates, parse_spki_text
from .ocmf import OcmfRecord, parse_ocmf
from .results import Outcome, SignatureCheck, SignedDataFormat, Verdict
from .signatures import detect_format, verify_ocmf_sections, verify_signed_data


@dataclass(frozen=True)
class ReceiptCheck:
    """What ``verify_receipt`` found: the format, the signature check and the verdict."""

    format: SignedDataFormat
    signature: SignatureCheck
    verdict: Verdict
    """For OCMF the record-level checks on top of the signature; for the others the signature alone."""
    record: OcmfRecord | None = None


def verify_receipt(data: str, key_text: str, *, token: str | None = None) -> ReceiptCheck:
    """Signature and record-level checks of ``data`` with the published key text.

    Raises ``UnknownFormat``, ``OcmfParseError`` or ``MalformedSignedData`` for data that cannot
    be read, and ``KeyEncodingError`` for key text that is not hex, base64 or base32.
    """
    kind = detect_format(data)
    if kind not in (SignedDataFormat.OCMF, SignedDataFormat.OCMF_HEX):
        kind, signature = verify_signed_data(data, key_text)
        outcome = Outcome.VERIFIED if signature.valid else Outcome.INVALID
        return ReceiptCheck(kind, signature, Verdict(outcome, signature.reason))
    record = parse_ocmf(data)
    key_bytes_candidates(key_text)  # unreadable key text is unusable input, not an invalid record
    if record.signature.data is None:  # nothing to check the key against
        unsigned = SignatureCheck.failed("the record is not signed (no SD)")
        return ReceiptCheck(kind, unsigned, Verdict(Outcome.UNSIGNED, unsigned.reason), record)
    try:
        key = parse_spki_text(key_text)
    except KeyFormatError as error:
        failed = SignatureCheck.failed(str(error))
        return ReceiptCheck(kind, failed, Verdict(Outcome.INVALID, failed.reason), record)
    signature = verify_ocmf_sections(record.sections, key)
    return ReceiptCheck(kind, signature, check_record(record, key, token=token), record)

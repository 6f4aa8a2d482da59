"""Signature verification for signed meter data: OCMF first, and the other formats meters send.

"Valid" means what a strict verifier means (see the conformance README): the signature is
canonical DER (or the format's raw ``r||s``), made with SHA-256 on the curve ``SA`` names, over
the exact signed bytes, by the given key, and the key lies on that same curve.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from dataclasses import dataclass

from .crypto.asn1 import DerError, parse_ecdsa_signature
from .crypto.curves import Curve, UnknownCurve, curve_by_name
from .crypto.ecdsa import verify_sha256
from .crypto.keys import KeyFormatError, PublicKey, parse_spki_text
from .formats import alfen, edl40, pcdf
from .formats.raw import MalformedSignedData
from .ocmf import OcmfParseError, OcmfSections, Signature, split_ocmf
from .results import SignatureCheck, SignedDataFormat

_METHOD = re.compile(r"ECDSA-([A-Za-z0-9]+)-SHA256")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")


class UnsupportedSignature(ValueError):
    """A signature section this verifier cannot check (unknown method, encoding or mime type)."""


class UnknownFormat(ValueError):
    """Data that is none of the signed meter data formats this service reads."""


@dataclass(frozen=True)
class SignatureMethod:
    """An OCMF ``SA`` value (table 22): ECDSA on ``curve`` with SHA-256."""

    identifier: str
    curve: Curve


def signature_method(identifier: str) -> SignatureMethod:
    """The method an ``SA`` value names; SHA-256 is the only hash OCMF defines."""
    match = _METHOD.fullmatch(identifier)
    if match is not None:
        with contextlib.suppress(UnknownCurve):
            return SignatureMethod(identifier, curve_by_name(match.group(1)))
    raise UnsupportedSignature(f"unsupported signature algorithm {identifier!r}")


def _signature_bytes(signature: Signature) -> bytes:
    assert signature.data is not None
    text = signature.data
    if signature.encoding == "hex":
        if not _HEX.fullmatch(text):
            raise UnsupportedSignature("SD is not hex although SE says hex")
        return bytes.fromhex(text)
    if signature.encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error:
            raise UnsupportedSignature("SD is not base64 although SE says base64") from None
    raise UnsupportedSignature(f"unsupported signature encoding SE={signature.encoding!r}")


def verify_ocmf_sections(sections: OcmfSections, key: PublicKey) -> SignatureCheck:
    """Check the signature section against the signed payload bytes and ``key``."""
    signature = sections.signature
    if signature.data is None:
        return SignatureCheck.failed("the record is not signed (no SD)")
    try:
        method = signature_method(signature.algorithm)
        if signature.mime_type != "application/x-der":
            raise UnsupportedSignature(f"unsupported signature mime type SM={signature.mime_type!r}")
        raw = _signature_bytes(signature)
    except UnsupportedSignature as error:
        return SignatureCheck.failed(str(error))
    if key.curve != method.curve:
        # A key is only good for the curve it was made on; verifying "across" curves would let a
        # record choose the maths its own check is done with.
        return SignatureCheck.failed(f"the key is on {key.curve.name} but SA names {method.curve.name}")
    try:
        r, s = parse_ecdsa_signature(raw)
    except DerError as error:
        return SignatureCheck.failed(f"SD is not a canonical DER ECDSA signature ({error})")
    if not verify_sha256(key, sections.signed_bytes, r, s):
        return SignatureCheck.failed("the signature does not match the payload and key")
    return SignatureCheck.ok()


def detect_format(data: str) -> SignedDataFormat:
    """Which format ``data`` is in, from its shape alone. Raises ``UnknownFormat``."""
    text = data.strip()
    if text.startswith("OCMF|"):
        return SignedDataFormat.OCMF
    if _HEX.fullmatch(text) and text[:10].upper() == "4F434D467C":  # "OCMF|" hex-encoded
        return SignedDataFormat.OCMF_HEX
    for module, kind in ((alfen, SignedDataFormat.ALFEN), (edl40, SignedDataFormat.EDL40_SIG)):
        if module.looks_like(text):
            return kind
    if pcdf.looks_like(text):
        return SignedDataFormat.PCDF
    raise UnknownFormat("not signed meter data in a known format (OCMF, ALFEN, EDL40, PCDF)")


def verify_signed_data(data: str, key_text: str) -> tuple[SignedDataFormat, SignatureCheck]:
    """Signature-level verification of ``data`` in any known format with the published key text.

    Raises ``UnknownFormat``, ``OcmfParseError`` or ``MalformedSignedData`` when the data cannot be
    read at all, and ``KeyEncodingError`` when the key text is not hex, base64 or base32.
    """
    kind = detect_format(data)
    text = data.strip()
    if kind is SignedDataFormat.ALFEN:
        return kind, alfen.verify(text, key_text)
    if kind is SignedDataFormat.EDL40_SIG:
        return kind, edl40.verify(text, key_text)
    if kind is SignedDataFormat.PCDF:
        return kind, pcdf.verify(text, key_text)
    sections = split_ocmf(text)
    try:
        key = parse_spki_text(key_text)
    except KeyFormatError as error:
        return kind, SignatureCheck.failed(str(error))
    return kind, verify_ocmf_sections(sections, key)


__all__ = [
    "MalformedSignedData",
    "OcmfParseError",
    "SignatureMethod",
    "UnknownFormat",
    "UnsupportedSignature",
    "detect_format",
    "signature_method",
    "verify_ocmf_sections",
    "verify_signed_data",
]

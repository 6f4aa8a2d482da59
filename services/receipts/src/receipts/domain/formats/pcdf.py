"""PCDF (OBIS-bracket text, Porsche/Compleo): ``128.8.0(ST:...)...(PK:...)(SG:...)``.

The signature ``SG`` (DER, hex) covers the UTF-8 text before ``(SG:`` with ECDSA P-256/SHA-256;
``PK`` is the signer's uncompressed point in hex.
"""

from __future__ import annotations

import re

from ..crypto.asn1 import DerError, parse_ecdsa_signature
from ..crypto.curves import curve_by_name
from ..results import SignatureCheck
from .raw import MalformedSignedData, verify_embedded

_CURVE = curve_by_name("secp256r1")
_SHAPE = re.compile(r"\d+(?:\.\d+)*\((?:[A-Z]+:[^()]*)\)(?:\([A-Z]+:[^()]*\))*")
_FIELD = re.compile(r"\(([A-Z]+):([^()]*)\)")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def looks_like(text: str) -> bool:
    return _SHAPE.fullmatch(text) is not None and "(SG:" in text


def fields(text: str) -> dict[str, str]:
    """The ``(KEY:value)`` fields; a repeated key is refused (which one would be signed?)."""
    found: dict[str, str] = {}
    for key, value in _FIELD.findall(text):
        if key in found:
            raise MalformedSignedData(f"PCDF field {key} appears twice")
        found[key] = value
    return found


def verify(text: str, key_text: str) -> SignatureCheck:
    signed, separator, rest = text.partition("(SG:")
    values = fields(text)
    if not separator or _FIELD.fullmatch("(SG:" + rest) is None:
        raise MalformedSignedData("PCDF data must end with its (SG:...) signature field")
    if not (_HEX.fullmatch(values.get("PK", "")) and _HEX.fullmatch(values["SG"])):
        raise MalformedSignedData("PCDF PK and SG must be hex")
    try:
        r, s = parse_ecdsa_signature(bytes.fromhex(values["SG"]))
    except DerError as error:
        return SignatureCheck.failed(f"SG is not a canonical DER ECDSA signature ({error})")
    size = _CURVE.coordinate_size
    if max(r, s).bit_length() > 8 * size:
        return SignatureCheck.failed("SG does not fit the curve")
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return verify_embedded(key_text, bytes.fromhex(values["PK"]), _CURVE, signed.encode("utf-8"), raw)

"""Alfen's Eichrecht format: ``AP;type;blob-version;pubkey;dataset;signature;``, fields in base32.

The 82-byte dataset is signed with ECDSA P-192/SHA-256; the signature is raw ``r||s`` (48 bytes)
and the key a compressed point (25 bytes).
"""

from __future__ import annotations

import base64
import binascii

from ..crypto.curves import curve_by_name
from ..results import SignatureCheck
from .raw import MalformedSignedData, verify_embedded

_CURVE = curve_by_name("secp192r1")


def looks_like(text: str) -> bool:
    return text.startswith("AP;")


def _base32(text: str, name: str) -> bytes:
    try:
        return base64.b32decode(text)
    except (binascii.Error, ValueError):
        raise MalformedSignedData(f"Alfen {name} is not base32") from None


def verify(text: str, key_text: str) -> SignatureCheck:
    fields = text.split(";")
    if fields[-1] == "":
        fields.pop()  # the closing ";" is missing in some of Alfen's own samples
    if len(fields) != 6 or fields[0] != "AP":
        raise MalformedSignedData("Alfen data is not 'AP;type;blob-version;pubkey;dataset;signature;'")
    key, dataset, signature = (_base32(fields[i], name) for i, name in ((3, "key"), (4, "dataset"), (5, "signature")))
    return verify_embedded(key_text, key, _CURVE, dataset, signature)

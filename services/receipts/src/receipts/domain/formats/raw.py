"""What the binary formats share: a fixed-size ``r||s`` signature and a key embedded in the data."""

from __future__ import annotations

from ..crypto.curves import Curve
from ..crypto.ecdsa import verify_sha256
from ..crypto.keys import KeyFormatError, PublicKey, key_bytes_candidates, load_subject_public_key_info, point_on
from ..results import SignatureCheck


class MalformedSignedData(ValueError):
    """Data that has the shape of a known format but cannot be read as it."""


def given_key(key_text: str, curve: Curve) -> PublicKey:
    """The published key on ``curve``: a raw point (SEC 1 or bare ``X||Y``) or a SubjectPublicKeyInfo."""
    for candidate in key_bytes_candidates(key_text):
        for load in (lambda data: point_on(curve, data), load_subject_public_key_info):
            try:
                key = load(candidate)
            except KeyFormatError:
                continue
            if key.curve == curve:
                return key
    raise KeyFormatError(f"the given key is not a {curve.name} public key")


def verify_embedded(
    key_text: str, embedded_key: bytes, curve: Curve, message: bytes, signature: bytes
) -> SignatureCheck:
    """Check ``r||s`` over ``message`` with the given key, which must be the key the data names.

    The data carries its signer's key, but a key taken from the data proves nothing: the trusted
    key comes from a register, and a record naming another key is not that meter's record.
    """
    try:
        key = given_key(key_text, curve)
    except KeyFormatError as error:
        return SignatureCheck.failed(str(error))
    try:
        named = point_on(curve, embedded_key)
    except KeyFormatError as error:
        return SignatureCheck.failed(f"the key in the data is unusable ({error})")
    if named != key:
        return SignatureCheck.failed("the key in the data is not the given key")
    size = curve.coordinate_size
    if len(signature) != 2 * size:
        return SignatureCheck.failed(f"signature is {len(signature)} bytes, expected r||s of {2 * size}")
    r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    if not verify_sha256(key, message, r, s):
        return SignatureCheck.failed("the signature does not match the signed data and key")
    return SignatureCheck.ok()

"""ECDSA verification with SHA-256, on OpenSSL where it has the curve and in Python where it has not."""

from __future__ import annotations

import functools
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from .asn1 import encode_ecdsa_signature
from .keys import PublicKey

_SHA256 = ec.ECDSA(hashes.SHA256())


@functools.lru_cache(maxsize=1024)
def _openssl_key(key: PublicKey) -> ec.EllipticCurvePublicKey:
    # Loading a key checks the point again and costs about as much as a verification; a
    # meter signs many records with one key, so each key is loaded once.
    assert key.curve.openssl is not None
    return ec.EllipticCurvePublicNumbers(key.x, key.y, key.curve.openssl).public_key()


def verify_sha256(key: PublicKey, message: bytes, r: int, s: int) -> bool:
    """True when ``(r, s)`` is an ECDSA signature by ``key`` of SHA-256(``message``).

    OCMF uses SHA-256 with every curve, the 384-bit ones included (spec table 22), so the hash
    is not derived from the curve size as some libraries do.
    """
    curve = key.curve
    if curve.pure is not None:
        return curve.pure.verify((key.x, key.y), hashlib.sha256(message).digest(), r, s)
    try:
        _openssl_key(key).verify(encode_ecdsa_signature(r, s), message, _SHA256)
    except InvalidSignature:
        return False
    return True

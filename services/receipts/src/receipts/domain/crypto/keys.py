"""Public keys: the encodings meters and registers publish them in, read into one checked form."""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from .asn1 import EC_PUBLIC_KEY_OID, DerError, parse_subject_public_key_info
from .curves import Curve, UnknownCurve, curve_by_oid
from .weierstrass import PointError

_HEX = re.compile(r"[0-9A-Fa-f]*")


class KeyEncodingError(ValueError):
    """Key text that is not hex, base64 or base32 at all: nothing to try."""


class KeyFormatError(ValueError):
    """Key bytes that are not the structure the format requires, or not a point on the curve."""


@dataclass(frozen=True)
class PublicKey:
    """A point on one of the OCMF curves, validated when it was loaded."""

    curve: Curve
    x: int
    y: int

    @property
    def encoded_point(self) -> bytes:
        """SEC 1 uncompressed encoding, ``04||X||Y``."""
        size = self.curve.coordinate_size
        return b"\x04" + self.x.to_bytes(size, "big") + self.y.to_bytes(size, "big")


def key_readings(text: str) -> list[tuple[str, bytes]]:
    """The key text read as hex, then base64, then base32 (named), where each applies."""
    compact = "".join(text.split())
    readings: list[tuple[str, bytes]] = []
    if compact and len(compact) % 2 == 0 and _HEX.fullmatch(compact):
        readings.append(("hex", bytes.fromhex(compact)))
    with contextlib.suppress(binascii.Error, ValueError):
        readings.append(("base64", base64.b64decode(compact, validate=True)))
    with contextlib.suppress(binascii.Error, ValueError):
        padded = compact if "=" in compact else compact + "=" * (-len(compact) % 8)
        readings.append(("base32", base64.b32decode(padded)))
    return [(name, data) for name, data in readings if data]


def key_bytes_candidates(text: str) -> list[bytes]:
    """Every reading of the key text: hex, then base64, then base32, without duplicates.

    Registers publish keys in all of these (hex with spaces in the TPS XML files, base64 from
    DZG, base32 from Alfen). The readings are ambiguous (a base32 text is also valid base64), so
    each format takes the first reading that has the structure it expects.
    """
    readings = [data for _, data in key_readings(text)]
    unique = [reading for index, reading in enumerate(readings) if reading not in readings[:index]]
    if not unique:
        raise KeyEncodingError("public key is neither hex, base64 nor base32")
    return unique


def key_encoding(text: str) -> str:
    """The encoding of the key text (``hex``, ``base64``, ``base32``), as an export must name it.

    The reading that is a DER SubjectPublicKeyInfo wins (OCMF keys); otherwise the first that
    decodes, in the order the verifier tries them. Raises ``KeyEncodingError`` when none does.
    """
    readings = key_readings(text)
    if not readings:
        raise KeyEncodingError("public key is neither hex, base64 nor base32")
    for name, data in readings:
        with contextlib.suppress(KeyFormatError):
            load_subject_public_key_info(data)
            return name
    return readings[0][0]


@functools.lru_cache(maxsize=1024)
def point_on(curve: Curve, data: bytes) -> PublicKey:
    """The key of a SEC 1 point (``04||X||Y``, ``02/03||X``) or a bare ``X||Y`` on ``curve``.

    Cached: checking that a point lies on the curve costs about half a verification, and a
    meter's key is read again with every record it signed.
    """
    if len(data) == 2 * curve.coordinate_size:
        data = b"\x04" + data
    if curve.pure is not None:
        try:
            x, y = curve.pure.decode_point(data)
        except PointError as error:
            raise KeyFormatError(str(error)) from None
        return PublicKey(curve, x, y)
    assert curve.openssl is not None
    try:
        numbers = ec.EllipticCurvePublicKey.from_encoded_point(curve.openssl, data).public_numbers()
    except ValueError:
        raise KeyFormatError(f"not a point on {curve.name}") from None
    return PublicKey(curve, numbers.x, numbers.y)


def load_subject_public_key_info(der: bytes) -> PublicKey:
    """The key of a DER ``SubjectPublicKeyInfo``, as OCMF requires its keys to be published."""
    try:
        info = parse_subject_public_key_info(der)
    except DerError as error:
        raise KeyFormatError(f"public key is not a DER SubjectPublicKeyInfo ({error})") from None
    if info.algorithm_oid != EC_PUBLIC_KEY_OID or info.curve_oid is None:
        raise KeyFormatError(f"public key is not an EC key (algorithm {info.algorithm_oid})")
    try:
        curve = curve_by_oid(info.curve_oid)
    except UnknownCurve as error:
        raise KeyFormatError(str(error)) from None
    return point_on(curve, info.point)


@functools.lru_cache(maxsize=1024)
def parse_spki_text(text: str) -> PublicKey:
    """An OCMF key from its published text: DER ``SubjectPublicKeyInfo`` in hex or base64 (cached)."""
    errors: list[str] = []
    for candidate in key_bytes_candidates(text):
        try:
            return load_subject_public_key_info(candidate)
        except KeyFormatError as error:
            errors.append(str(error))
    raise KeyFormatError(errors[0])

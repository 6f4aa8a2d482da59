"""The little DER (X.690) this service reads: ECDSA signatures and EC SubjectPublicKeyInfo.

The reader is strict on purpose: a verifier that accepts non-canonical DER (a superfluous
leading 00 in an INTEGER, long-form lengths, trailing bytes) disagrees with OpenSSL,
BouncyCastle and noble on real records (eBZ's ``tps-test-value2``), and the same signature must
never be valid here and invalid in the Transparenzsoftware.
"""

from __future__ import annotations

from dataclasses import dataclass

_SEQUENCE = 0x30
_INTEGER = 0x02
_BIT_STRING = 0x03
_OID = 0x06

# id-ecPublicKey (RFC 5480): the only algorithm an OCMF key may carry.
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"


class DerError(ValueError):
    """The bytes are not the canonical DER structure expected."""


@dataclass(frozen=True)
class SubjectPublicKeyInfo:
    algorithm_oid: str
    curve_oid: str | None
    """The named curve for EC keys; None for other algorithms (whose parameters are not read)."""
    point: bytes
    """The SEC 1 encoded point from the BIT STRING (04||X||Y or 02/03||X)."""


def _read(data: bytes, offset: int, tag: int) -> tuple[bytes, int]:
    """The value of the element with ``tag`` at ``offset``, and the offset after it."""
    if offset + 2 > len(data):
        raise DerError("truncated element")
    if data[offset] != tag:
        raise DerError(f"expected tag 0x{tag:02x}, found 0x{data[offset]:02x}")
    first = data[offset + 1]
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        # Indefinite lengths (0x80) are BER, and nothing here comes near 2**32 bytes.
        if count == 0 or count > 4 or offset + count > len(data):
            raise DerError("unsupported length encoding")
        length = int.from_bytes(data[offset : offset + count], "big")
        if length < 0x80 or data[offset] == 0:
            raise DerError("length not minimally encoded")
        offset += count
    end = offset + length
    if end > len(data):
        raise DerError("element longer than its container")
    return data[offset:end], end


def _whole(data: bytes, tag: int) -> bytes:
    value, end = _read(data, 0, tag)
    if end != len(data):
        raise DerError("trailing bytes after the structure")
    return value


def _integer(data: bytes, offset: int) -> tuple[int, int]:
    value, end = _read(data, offset, _INTEGER)
    if not value:
        raise DerError("empty INTEGER")
    if value[0] & 0x80:
        raise DerError("negative INTEGER")
    if len(value) > 1 and value[0] == 0 and not value[1] & 0x80:
        raise DerError("INTEGER not minimally encoded")
    return int.from_bytes(value, "big"), end


def parse_ecdsa_signature(data: bytes) -> tuple[int, int]:
    """``(r, s)`` of an ``ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`` in canonical DER."""
    body = _whole(data, _SEQUENCE)
    r, offset = _integer(body, 0)
    s, offset = _integer(body, offset)
    if offset != len(body):
        raise DerError("trailing bytes inside the signature")
    return r, s


def encode_ecdsa_signature(r: int, s: int) -> bytes:
    """Canonical DER of ``(r, s)``: handed to OpenSSL, which wants DER."""

    def integer(value: int) -> bytes:
        # One spare bit keeps the sign bit clear, so the leading 00 appears exactly when needed.
        raw = value.to_bytes(value.bit_length() // 8 + 1, "big")
        return bytes([_INTEGER]) + _length(len(raw)) + raw

    body = integer(r) + integer(s)
    return bytes([_SEQUENCE]) + _length(len(body)) + body


def _length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def decode_oid(value: bytes) -> str:
    """Dotted notation of an OBJECT IDENTIFIER's content octets."""
    if not value or value[-1] & 0x80:
        raise DerError("malformed OBJECT IDENTIFIER")
    numbers: list[int] = []
    current = 0
    arc_starts = True
    for byte in value:
        if arc_starts and byte == 0x80:
            raise DerError("OBJECT IDENTIFIER arc not minimally encoded")
        current = (current << 7) | (byte & 0x7F)
        arc_starts = not byte & 0x80
        if arc_starts:
            numbers.append(current)
            current = 0
    # The first subidentifier packs two arcs: 40 * X + Y, with X in 0..2.
    first = min(numbers[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, numbers[0] - 40 * first, *numbers[1:]))


def parse_subject_public_key_info(data: bytes) -> SubjectPublicKeyInfo:
    """The algorithm, named curve and point of an EC ``SubjectPublicKeyInfo`` (RFC 5480).

    Explicit curve parameters (``specifiedCurve``) are refused: RFC 5480 forbids them and a key
    that brings its own curve could bring a weak one.
    """
    body = _whole(data, _SEQUENCE)
    algorithm, offset = _read(body, 0, _SEQUENCE)
    bits, end = _read(body, offset, _BIT_STRING)
    if end != len(body):
        raise DerError("trailing bytes inside SubjectPublicKeyInfo")
    algorithm_oid, inner = _read(algorithm, 0, _OID)
    if not bits or bits[0] != 0:
        raise DerError("public key BIT STRING has unused bits")
    if decode_oid(algorithm_oid) != EC_PUBLIC_KEY_OID:
        return SubjectPublicKeyInfo(decode_oid(algorithm_oid), None, bits[1:])
    curve_oid, inner_end = _read(algorithm, inner, _OID)
    if inner_end != len(algorithm):
        raise DerError("unexpected parameters in AlgorithmIdentifier")
    return SubjectPublicKeyInfo(EC_PUBLIC_KEY_OID, decode_oid(curve_oid), bits[1:])

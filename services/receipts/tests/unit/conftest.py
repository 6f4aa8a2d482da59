"""Test meters that sign OCMF records on every OCMF curve, and builders for their payloads.

OpenSSL signs for six curves; secp192k1 is signed with a deterministic RFC 6979 signer built on
the production point arithmetic (signing lives only here: the service never signs). The kit is
a fixture because ``--import-mode=importlib`` keeps test helper modules unimportable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from receipts.domain.crypto.asn1 import encode_ecdsa_signature
from receipts.domain.crypto.curves import Curve, curve_by_name
from receipts.domain.crypto.keys import PublicKey, parse_spki_text
from receipts.domain.crypto.weierstrass import WeierstrassCurve


def rfc6979_nonce(curve: WeierstrassCurve, secret: int, digest: bytes) -> int:
    """The deterministic ECDSA nonce of RFC 6979 section 3.2 with HMAC-SHA-256."""
    qlen = curve.n.bit_length()
    rlen = (qlen + 7) // 8

    def bits2int(data: bytes) -> int:
        value = int.from_bytes(data, "big")
        return value >> (8 * len(data) - qlen) if 8 * len(data) > qlen else value

    secret_octets = secret.to_bytes(rlen, "big")
    hash_octets = (bits2int(digest) % curve.n).to_bytes(rlen, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + secret_octets + hash_octets, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + secret_octets + hash_octets, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        t = b""
        while len(t) < rlen:
            v = hmac.new(k, v, hashlib.sha256).digest()
            t += v
        nonce = bits2int(t)
        if 1 <= nonce < curve.n:
            return nonce
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def sign_pure(curve: WeierstrassCurve, secret: int, message: bytes) -> tuple[int, int]:
    """ECDSA signature (r, s) of SHA-256(message), with the RFC 6979 nonce."""
    digest = hashlib.sha256(message).digest()
    nonce = rfc6979_nonce(curve, secret, digest)
    point = curve.multiply(nonce)
    assert point is not None
    r = point[0] % curve.n
    s = pow(nonce, -1, curve.n) * (curve.digest_scalar(digest) + r * secret) % curve.n
    assert r != 0
    assert s != 0
    return r, s


def _der(tag: int, body: bytes) -> bytes:
    assert len(body) < 0x80
    return bytes([tag, len(body)]) + body


def _oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = b""
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk, rest = [arc & 0x7F], arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body += bytes(reversed(chunk))
    return _der(0x06, body)


def spki(curve: Curve, point: bytes) -> bytes:
    """DER SubjectPublicKeyInfo of an EC point: built by hand, as OpenSSL cannot for secp192k1."""
    algorithm = _der(0x30, _oid("1.2.840.10045.2.1") + _oid(curve.oid))
    return _der(0x30, algorithm + _der(0x03, b"\x00" + point))


@dataclass(frozen=True)
class Meter:
    """A meter with a fixed private key on one curve that signs OCMF payloads."""

    curve: Curve
    secret: int
    serial: str = "MTR-0001"

    @cached_property
    def point(self) -> bytes:
        if self.curve.pure is not None:
            public = self.curve.pure.multiply(self.secret)
            assert public is not None
            return self.curve.pure.encode_point(public)
        assert self.curve.openssl is not None
        private = ec.derive_private_key(self.secret, self.curve.openssl)
        numbers = private.public_key().public_numbers()
        size = self.curve.coordinate_size
        return b"\x04" + numbers.x.to_bytes(size, "big") + numbers.y.to_bytes(size, "big")

    @property
    def spki_hex(self) -> str:
        return spki(self.curve, self.point).hex().upper()

    @property
    def public_key(self) -> PublicKey:
        return parse_spki_text(self.spki_hex)

    def sign(self, message: bytes) -> bytes:
        """DER ECDSA signature over SHA-256(message)."""
        if self.curve.pure is not None:
            return encode_ecdsa_signature(*sign_pure(self.curve.pure, self.secret, message))
        assert self.curve.openssl is not None
        private = ec.derive_private_key(self.secret, self.curve.openssl)
        return private.sign(message, ec.ECDSA(hashes.SHA256()))

    def record(self, payload: dict[str, Any] | str, **signature: Any) -> str:
        """``OCMF|payload|signature`` signed by this meter; ``signature`` overrides SA/SE/SD."""
        text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        section = {"SA": f"ECDSA-{self.curve.name}-SHA256", "SD": self.sign(text.encode()).hex().upper()}
        section.update(signature)
        section = {key: value for key, value in section.items() if value is not None}
        return f"OCMF|{text}|{json.dumps(section, separators=(',', ':'))}"


class OcmfKit:
    """Builders for meters, readings and payloads (defaults: a 1.8.0 kWh register, good status)."""

    sign_pure = staticmethod(sign_pure)

    def meter(self, curve: str = "secp256r1", secret: int = 0xC0FFEE, serial: str = "MTR-0001") -> Meter:
        return Meter(curve_by_name(curve), secret, serial)

    @staticmethod
    def reading(tx: str | None, value: str, time: str = "2024-05-01T10:00:00,000+0200 S", **fields: Any) -> dict:
        reading: dict[str, Any] = {"TM": time, "TX": tx, "RV": json.loads(value), "RI": "1-b:1.8.0", "RU": "kWh"}
        reading.update({"EF": "", "ST": "G"}, **fields)
        return {key: item for key, item in reading.items() if item is not None}

    @staticmethod
    def payload(pagination: str, readings: list[dict], serial: str = "MTR-0001", **fields: Any) -> dict:
        payload: dict[str, Any] = {"FV": "1.0", "GI": "ladeplan test", "GS": "GW-1", "PG": pagination}
        payload.update({"MV": "Test", "MS": serial, "IS": True, "IT": "ISO14443", "ID": "04A1B2C3"})
        payload.update(fields, RD=readings)
        return payload

    def session(self, meter: Meter, first_page: int = 7, **fields: Any) -> list[str]:
        """A begin, a charging and an end record of one session (10.5 -> 12.25 kWh)."""
        steps = [("B", "10.5", "10:00:00"), ("C", "11.0", "10:30:00"), ("E", "12.25", "11:00:00")]
        return [
            meter.record(
                self.payload(
                    f"T{first_page + index}",
                    [self.reading(tx, value, f"2024-05-01T{clock},000+0200 S")],
                    serial=meter.serial,
                    **fields,
                )
            )
            for index, (tx, value, clock) in enumerate(steps)
        ]


@pytest.fixture(scope="session")
def ocmf() -> OcmfKit:
    return OcmfKit()

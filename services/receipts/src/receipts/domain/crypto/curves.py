"""The elliptic curves OCMF names (spec table 22/23), with their OIDs and who computes on them."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from .weierstrass import SECP192K1, WeierstrassCurve


class UnknownCurve(LookupError):
    """A curve name or OID that is not one of the OCMF curves."""


@dataclass(frozen=True)
class Curve:
    name: str
    """The spelling of OCMF's ``SA`` identifiers, e.g. ``brainpool256r1``."""
    oid: str
    bits: int
    openssl: ec.EllipticCurve | None = field(compare=False)
    """The OpenSSL curve, or None where only the pure-Python code (``pure``) can verify."""
    pure: WeierstrassCurve | None = field(default=None, compare=False)

    @property
    def coordinate_size(self) -> int:
        return (self.bits + 7) // 8


CURVES: tuple[Curve, ...] = (
    Curve("secp192k1", "1.3.132.0.31", 192, None, SECP192K1),
    Curve("secp256k1", "1.3.132.0.10", 256, ec.SECP256K1()),
    Curve("secp192r1", "1.2.840.10045.3.1.1", 192, ec.SECP192R1()),
    Curve("secp256r1", "1.2.840.10045.3.1.7", 256, ec.SECP256R1()),
    Curve("brainpool256r1", "1.3.36.3.3.2.8.1.1.7", 256, ec.BrainpoolP256R1()),
    Curve("secp384r1", "1.3.132.0.34", 384, ec.SECP384R1()),
    Curve("brainpool384r1", "1.3.36.3.3.2.8.1.1.11", 384, ec.BrainpoolP384R1()),
)

_BY_NAME = {curve.name: curve for curve in CURVES}
_BY_OID = {curve.oid: curve for curve in CURVES}
# The spec writes "brainpool256r1"; RFC 5639 and some gateways (NZR) write "brainpoolP256r1".
_ALIASES = {"brainpoolP256r1": "brainpool256r1", "brainpoolP384r1": "brainpool384r1"}


def curve_by_name(name: str) -> Curve:
    try:
        return _BY_NAME[_ALIASES.get(name, name)]
    except KeyError:
        raise UnknownCurve(f"unknown curve {name!r}") from None


def curve_by_oid(oid: str) -> Curve:
    try:
        return _BY_OID[oid]
    except KeyError:
        raise UnknownCurve(f"key on a curve OCMF does not name (OID {oid})") from None

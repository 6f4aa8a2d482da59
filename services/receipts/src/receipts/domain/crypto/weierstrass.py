"""Pure-Python ECDSA verification on short Weierstrass curves, for the curve OpenSSL lacks.

OCMF names secp192k1 (HTB and test generators sign with it) and OpenSSL, so ``cryptography``,
has no secp192k1. Verification needs no secret, so neither constant time nor blinding matter
here: the code favours being obviously correct (textbook Jacobian formulas, SEC 1 section 4.1.4)
over speed. Every curve used here has cofactor 1, so a point on the curve is in the group.
"""

from __future__ import annotations

from dataclasses import dataclass

# A point in Jacobian coordinates (X, Y, Z) stands for the affine (X/Z^2, Y/Z^3); Z == 0 is infinity.
_Jacobian = tuple[int, int, int]
_INFINITY: _Jacobian = (1, 1, 0)

Point = tuple[int, int]
"""An affine point (x, y) on the curve."""


class PointError(ValueError):
    """Bytes that are not an encoding of a point on the curve."""


@dataclass(frozen=True)
class WeierstrassCurve:
    """y^2 = x^3 + a*x + b over GF(p), generator (gx, gy) of prime order n, cofactor 1."""

    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def coordinate_size(self) -> int:
        return (self.p.bit_length() + 7) // 8

    @property
    def generator(self) -> Point:
        return (self.gx, self.gy)

    def contains(self, point: Point) -> bool:
        x, y = point
        return 0 <= x < self.p and 0 <= y < self.p and (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    def decode_point(self, data: bytes) -> Point:
        """The point of a SEC 1 encoding (``04||X||Y`` or compressed ``02/03||X``), checked on the curve."""
        size = self.coordinate_size
        if len(data) == 1 + 2 * size and data[0] == 0x04:
            point = (int.from_bytes(data[1 : 1 + size], "big"), int.from_bytes(data[1 + size :], "big"))
        elif len(data) == 1 + size and data[0] in (0x02, 0x03):
            point = self._decompress(int.from_bytes(data[1:], "big"), odd=data[0] == 0x03)
        else:
            raise PointError(f"not a SEC 1 point encoding for {self.name}")
        if not self.contains(point):
            raise PointError(f"point is not on {self.name}")
        return point

    def encode_point(self, point: Point) -> bytes:
        size = self.coordinate_size
        return b"\x04" + point[0].to_bytes(size, "big") + point[1].to_bytes(size, "big")

    def _decompress(self, x: int, *, odd: bool) -> Point:
        if x >= self.p or self.p % 4 != 3:
            # Every curve here has p = 3 (mod 4), where the square root is a single power.
            raise PointError(f"cannot decompress this point on {self.name}")
        rhs = (x * x * x + self.a * x + self.b) % self.p
        y = pow(rhs, (self.p + 1) // 4, self.p)
        if y * y % self.p != rhs:
            raise PointError(f"x has no point on {self.name}")
        return (x, y if y % 2 == odd else self.p - y)

    # --- group law (Jacobian coordinates: no inversion until the end) ---

    def _double(self, point: _Jacobian) -> _Jacobian:
        x, y, z = point
        if z == 0 or y == 0:
            return _INFINITY
        p = self.p
        yy = y * y % p
        s = 4 * x * yy % p
        zz = z * z % p
        m = (3 * x * x + self.a * zz * zz) % p
        x3 = (m * m - 2 * s) % p
        return (x3, (m * (s - x3) - 8 * yy * yy) % p, 2 * y * z % p)

    def _add(self, first: _Jacobian, second: _Jacobian) -> _Jacobian:
        x1, y1, z1 = first
        x2, y2, z2 = second
        if z1 == 0:
            return second
        if z2 == 0:
            return first
        p = self.p
        z1z1 = z1 * z1 % p
        z2z2 = z2 * z2 % p
        u1 = x1 * z2z2 % p
        u2 = x2 * z1z1 % p
        s1 = y1 * z2 * z2z2 % p
        s2 = y2 * z1 * z1z1 % p
        if u1 == u2:
            return self._double(first) if s1 == s2 else _INFINITY
        h = (u2 - u1) % p
        r = (s2 - s1) % p
        hh = h * h % p
        hhh = h * hh % p
        u1hh = u1 * hh % p
        x3 = (r * r - hhh - 2 * u1hh) % p
        return (x3, (r * (u1hh - x3) - s1 * hhh) % p, h * z1 * z2 % p)

    def _affine(self, point: _Jacobian) -> Point | None:
        x, y, z = point
        if z == 0:
            return None
        z_inv = pow(z, -1, self.p)
        z_inv2 = z_inv * z_inv % self.p
        return (x * z_inv2 % self.p, y * z_inv2 * z_inv % self.p)

    def combine(self, u1: int, u2: int, q: Point) -> Point | None:
        """``u1*G + u2*Q`` by Shamir's trick (one shared chain of doublings); None for infinity."""
        g: _Jacobian = (self.gx, self.gy, 1)
        qj: _Jacobian = (q[0], q[1], 1)
        table = {1: g, 2: qj, 3: self._add(g, qj)}
        result = _INFINITY
        for bit in range(max(u1.bit_length(), u2.bit_length()) - 1, -1, -1):
            result = self._double(result)
            index = (u1 >> bit & 1) | (u2 >> bit & 1) << 1
            if index:
                result = self._add(result, table[index])
        return self._affine(result)

    def multiply(self, k: int, point: Point | None = None) -> Point | None:
        """``k*point`` (the generator by default); None for infinity."""
        return self.combine(0, k, point) if point is not None else self.combine(k, 0, self.generator)

    def digest_scalar(self, digest: bytes) -> int:
        """The hash as an integer: its leftmost bits, as many as the order has (SEC 1 4.1.3 step 5)."""
        value = int.from_bytes(digest, "big")
        excess = 8 * len(digest) - self.n.bit_length()
        return value >> excess if excess > 0 else value

    def verify(self, public_key: Point, digest: bytes, r: int, s: int) -> bool:
        """ECDSA verification (SEC 1 section 4.1.4) of ``(r, s)`` over a message hash."""
        if not (0 < r < self.n and 0 < s < self.n) or not self.contains(public_key):
            return False
        w = pow(s, -1, self.n)
        e = self.digest_scalar(digest)
        point = self.combine(e * w % self.n, r * w % self.n, public_key)
        return point is not None and point[0] % self.n == r


# SEC 2 version 2.0, section 2.2.1.
SECP192K1 = WeierstrassCurve(
    name="secp192k1",
    p=0xFFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFE_FFFFEE37,
    a=0,
    b=3,
    gx=0xDB4FF10E_C057E9AE_26B07D02_80B7F434_1DA5D1B1_EAE06C7D,
    gy=0x9B2F2F6D_9C5628A7_844163D0_15BE8634_4082AA88_D95E2F9D,
    n=0xFFFFFFFF_FFFFFFFF_FFFFFFFE_26F2FC17_0F69466A_74DEFD8D,
)

# SEC 2 version 2.0, section 2.4.1: not needed for verification (OpenSSL has it), kept so the tests
# can hold this implementation against OpenSSL on a curve of the same family.
SECP256K1 = WeierstrassCurve(
    name="secp256k1",
    p=0xFFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFE_FFFFFC2F,
    a=0,
    b=7,
    gx=0x79BE667E_F9DCBBAC_55A06295_CE870B07_029BFCDB_2DCE28D9_59F2815B_16F81798,
    gy=0x483ADA77_26A3C465_5DA4FBFC_0E1108A8_FD17B448_A6855419_9C47D08F_FB10D4B8,
    n=0xFFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFE_BAAEDCE6_AF48A03B_BFD25E8C_D0364141,
)

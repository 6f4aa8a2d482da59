"""The pure-Python ECDSA (for secp192k1), held against OpenSSL on curves both can compute on."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from receipts.domain.crypto.weierstrass import SECP192K1, SECP256K1, PointError, WeierstrassCurve

pytestmark = pytest.mark.unit

# FIPS 186-4 D.1.2: curves with a = -3, to exercise the general doubling formula too.
P192 = WeierstrassCurve(
    name="secp192r1",
    p=2**192 - 2**64 - 1,
    a=2**192 - 2**64 - 1 - 3,
    b=0x64210519_E59C80E7_0FA7E9AB_72243049_FEB8DEEC_C146B9B1,
    gx=0x188DA80E_B03090F6_7CBF20EB_43A18800_F4FF0AFD_82FF1012,
    gy=0x07192B95_FFC8DA78_631011ED_6B24CDD5_73F977A1_1E794811,
    n=0xFFFFFFFF_FFFFFFFF_FFFFFFFF_99DEF836_146BC9B1_B4D22831,
)
P256 = WeierstrassCurve(
    name="secp256r1",
    p=2**256 - 2**224 + 2**192 + 2**96 - 1,
    a=2**256 - 2**224 + 2**192 + 2**96 - 1 - 3,
    b=0x5AC635D8_AA3A93E7_B3EBBD55_769886BC_651D06B0_CC53B0F6_3BCE3C3E_27D2604B,
    gx=0x6B17D1F2_E12C4247_F8BCE6E5_63A440F2_77037D81_2DEB33A0_F4A13945_D898C296,
    gy=0x4FE342E2_FE1A7F9B_8EE7EB4A_7C0F9E16_2BCE3357_6B315ECE_CBB64068_37BF51F5,
    n=0xFFFFFFFF_00000000_FFFFFFFF_FFFFFFFF_BCE6FAAD_A7179E84_F3B9CAC2_FC632551,
)
# Each pure curve with its OpenSSL twin (secp192k1 has none: that is why the pure code exists).
TWINS = [(SECP256K1, ec.SECP256K1()), (P192, ec.SECP192R1()), (P256, ec.SECP256R1())]
twin_ids = [curve.name for curve, _ in TWINS]


@pytest.mark.parametrize("curve", [SECP192K1, SECP256K1, P192, P256], ids=lambda curve: curve.name)
def test_domain_parameters_form_a_group_of_the_stated_order(curve):
    assert curve.contains(curve.generator)
    assert curve.multiply(curve.n) is None
    assert curve.multiply(curve.n + 1) == curve.generator
    assert curve.multiply(curve.n - 1) == (curve.gx, curve.p - curve.gy)


@pytest.mark.parametrize(("curve", "openssl"), TWINS, ids=twin_ids)
@pytest.mark.parametrize("secret", [1, 2, 3, 0xDEADBEEF, 2**150 + 12345])
def test_scalar_multiplication_matches_openssl(curve, openssl, secret):
    numbers = ec.derive_private_key(secret, openssl).public_key().public_numbers()

    assert curve.multiply(secret) == (numbers.x, numbers.y)


@pytest.mark.parametrize(("curve", "openssl"), TWINS, ids=twin_ids)
@given(message=st.binary(max_size=64), secret=st.integers(min_value=1, max_value=2**190))
@settings(max_examples=15, deadline=None)
def test_pure_verification_agrees_with_openssl(curve, openssl, message, secret):
    private = ec.derive_private_key(secret, openssl)
    numbers = private.public_key().public_numbers()
    r, s = decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA256())))
    digest = hashlib.sha256(message).digest()

    assert curve.verify((numbers.x, numbers.y), digest, r, s)
    assert not curve.verify((numbers.x, numbers.y), hashlib.sha256(message + b"!").digest(), r, s)
    assert not curve.verify((numbers.x, numbers.y), digest, r, (s + 1) % curve.n or 1)


@pytest.mark.parametrize(("curve", "openssl"), TWINS, ids=twin_ids)
def test_the_rfc6979_test_signer_makes_signatures_openssl_accepts(ocmf, curve, openssl):
    # The secp192k1 test meter signs with this signer: prove it where OpenSSL can judge.
    secret = 0x1234567890ABCDEF
    r, s = ocmf.sign_pure(curve, secret, b"payload")

    public = ec.derive_private_key(secret, openssl).public_key()
    public.verify(encode_dss_signature(r, s), b"payload", ec.ECDSA(hashes.SHA256()))


def test_rfc6979_sample_vector_for_p192_sha256(ocmf):
    # RFC 6979 A.2.3, P-192 with SHA-256, message "sample".
    secret = 0x6FAB034934E4C0FC9AE67F5B5659A9D7D1FEFD187EE09FD4
    r, s = ocmf.sign_pure(P192, secret, b"sample")
    assert (r, s) == (
        0x4B0B8CE98A92866A2820E20AA6B75B56382E0F9BFD5ECB55,
        0xCCDB006926EA9565CBADC840829D8C384E06DE1F1E381B85,
    )


@pytest.mark.parametrize(
    "encoding",
    [b"", b"\x04" + b"\x00" * 48, b"\x05" + b"\x01" * 48, b"\x02" + b"\xff" * 24, b"\x04" + b"\x01" * 47],
    ids=["empty", "origin", "bad-prefix", "x-beyond-p", "short"],
)
def test_points_that_are_not_on_the_curve_are_refused(encoding):
    with pytest.raises(PointError):
        SECP192K1.decode_point(encoding)


@given(secret=st.integers(min_value=1, max_value=SECP192K1.n - 1))
@settings(max_examples=20, deadline=None)
def test_compressed_and_uncompressed_points_decode_to_the_same_key(secret):
    point = SECP192K1.multiply(secret)
    assert point is not None
    compressed = bytes([2 + point[1] % 2]) + point[0].to_bytes(24, "big")

    assert SECP192K1.decode_point(compressed) == point
    assert SECP192K1.decode_point(SECP192K1.encode_point(point)) == point


def test_out_of_range_signature_values_are_refused():
    point = SECP192K1.multiply(5)
    assert point is not None
    digest = hashlib.sha256(b"x").digest()
    for r, s in [(0, 1), (1, 0), (SECP192K1.n, 1), (1, SECP192K1.n)]:
        assert not SECP192K1.verify(point, digest, r, s)


def test_openssl_really_lacks_secp192k1(ocmf):
    # If this fails one day, OpenSSL learned secp192k1 and the pure-Python path could retire.
    meter = ocmf.meter("secp192k1")

    with pytest.raises(UnsupportedAlgorithm):
        serialization.load_der_public_key(bytes.fromhex(meter.spki_hex))

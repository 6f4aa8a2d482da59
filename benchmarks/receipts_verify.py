"""Signature verification speed: our OCMF path against a bare ``cryptography`` verify, in one run.

Part of ``make bench`` (``python -m benchmarks``). The
baseline is OpenSSL through ``cryptography`` with the key loaded once and the DER signature and
payload bytes at hand; the rows below it add what a verifier must do on top (split the record,
read the key text, parse DER strictly, type the payload, run the record checks).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from receipts.domain.checks import check_record
from receipts.domain.crypto.keys import parse_spki_text
from receipts.domain.ocmf import parse_ocmf, split_ocmf
from receipts.domain.signatures import verify_ocmf_sections, verify_signed_data

# KEBA KCP30 (SAFE-eV/transparenzsoftware test_ocmf_keba_kcp30.xml, Apache-2.0): P-256, default SA.
P256_DATA = (
    'OCMF|{"FV":"1.0","GI":"KEBA_KCP30","GS":"17619300","GV":"2.8.5","PG":"T32","IS":false,"IL":"NONE",'
    '"IF":["RFID_NONE","OCPP_NONE","ISO15118_NONE","PLMN_NONE"],"IT":"NONE","ID":"","RD":[{"TM":'
    '"2019-08-13T10:03:15,000+0000 I","TX":"B","EF":"","ST":"G","RV":0.2596,"RI":"1-b:1.8.0","RU":"kWh"},'
    '{"TM":"2019-08-13T10:03:36,000+0000 R","TX":"E","EF":"","ST":"G","RV":0.2597,"RI":"1-b:1.8.0","RU":"kWh"}]}'
    '|{"SD":"304502200E2F107C987A300AC1695CA89EA149A8CDFA16188AF0A33EE64B67964AA943F9022100889A72B6D65364BEA8'
    '562E7F6A0253157ACFF84FE4929A93B5964D23C4265699"}'
)
P256_KEY = (
    "3059301306072A8648CE3D020106082A8648CE3D030107034200043AEEB45C392357820A58FDFB0857BD77ADA31585C61C4305"
    "31DFA53B440AFBFDD95AC887C658EA55260F808F55CA948DF235C2108A0D6DC7D4AB1A5E1A7955BE"
)
# HTB generator (transparenzsoftware test_ocmf_transaction_two_values.xml): secp192k1.
K192_DATA = (
    'OCMF|{"FV":"1.0","GI":"HTB","GS":"HTBSerial","GV":"0.0.1","PG":"T12345","MV":"HTB","MM":"HTB",'
    '"MS":"HTBGenerated1","MF":"1.0","IS":true,"IL":"VERIFIED","IF":["RFID_PLAIN","OCPP_RS_TLS"],"IT":"ISO14443",'
    '"ID":"8D2E2D536DCFD0","CI":"HTB","CT":"CBIDC","RD":[{"TM":"2019-04-02T17:28:45,867+0200 S","TX":"B",'
    '"RV":3.51824,"RI":"1-b:1.8.e","RU":"kWh","EI":1523,"ST":"G"},{"TM":"2019-04-02T17:28:45,867+0200 S",'
    '"TX":"X","RV":7.01047,"RI":"1-b:1.8.e","RU":"kWh","EI":1523,"ST":"G"}]}|{"SA":"ECDSA-secp192k1-SHA256",'
    '"SD":"303402185A5E62A58B45C10C37166B7E43D26296D79C450DF30C2FA4021822099CFAEB793D9246FAE130C93964B43FC4C5F2CF1732E1"}'
)
K192_KEY = (
    "30463010 06072A86 48CE3D02 0106052B 8104001F 03320004 C2006542 218BB27F 5E0B945C 5F9D1588 67B666B3"
    " BB4414AB C6569489 A8F79850 20C77F0F 32A4B4E1 83A30561 27C34869"
)


def _rate(operation: Callable[[], object], seconds: float = 1.0) -> float:
    """Operations per second, timed in batches until ``seconds`` have passed."""
    assert operation()  # every row verifies something true: a benchmark of failures would lie
    count, batch, started = 0, 16, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(batch):
            operation()
        count += batch
    return count / elapsed


def _baseline() -> Callable[[], bool]:
    sections = split_ocmf(P256_DATA)
    key = serialization.load_der_public_key(bytes.fromhex(P256_KEY))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert sections.signature.data is not None
    der, payload, algorithm = bytes.fromhex(sections.signature.data), sections.signed_bytes, ec.ECDSA(hashes.SHA256())

    def verify() -> bool:
        key.verify(der, payload, algorithm)
        return True

    return verify


def run() -> list[tuple[str, float]]:
    sections, key = split_ocmf(P256_DATA), parse_spki_text(P256_KEY)
    record = parse_ocmf(P256_DATA)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("secp256r1: cryptography verify (baseline)", _baseline()),
        (
            "secp256r1: verify_ocmf_sections (split record, loaded key)",
            lambda: verify_ocmf_sections(sections, key).valid,
        ),
        (
            "secp256r1: verify_signed_data (from the two strings)",
            lambda: verify_signed_data(P256_DATA, P256_KEY)[1].valid,
        ),
        ("secp256r1: check_record (parsed record)", lambda: check_record(record, key).verified),
        ("secp256r1: parse_ocmf + check_record", lambda: check_record(parse_ocmf(P256_DATA), key).verified),
        ("secp192k1: verify_signed_data (pure Python)", lambda: verify_signed_data(K192_DATA, K192_KEY)[1].valid),
    ]
    return [(name, _rate(operation)) for name, operation in cases]


def table(rows: list[tuple[str, float]]) -> str:
    baseline = rows[0][1]
    width = max(len(name) for name, _ in rows)
    lines = [f"{'receipts: signature verification':<{width}}  {'per s':>9}  {'vs baseline':>11}"]
    lines += [f"{name:<{width}}  {rate:>9,.0f}  {rate / baseline:>10.2f}x" for name, rate in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))

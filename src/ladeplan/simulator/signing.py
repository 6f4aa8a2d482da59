"""A simulated calibrated meter that signs its readings as OCMF records, as Eichrecht charge points do.

Real meters sign inside a sealed module; here ``cryptography`` does it with a P-256 key
(``ECDSA-secp256r1-SHA256``, the OCMF default). Each record carries one energy register reading
and counts its pagination up (``T1``, ``T2``, ...), so a begin and an end record of one session
pass the checks a verifier applies to a series.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SIGNING_METHOD = "ECDSA-secp256r1-SHA256"
REGISTER = "1-b:1.8.0"  # OBIS: total active energy import


def ocmf_time(at: datetime) -> str:
    """OCMF's time format: ``2024-05-01T10:00:00,000+0000 S`` (S: synchronised clock)."""
    utc = at.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S},{utc.microsecond // 1000:03d}+0000 S"


class SigningMeter:
    """A meter with its own key pair; ``begin``/``end`` return signed ``OCMF|payload|signature`` strings."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey | None = None, *, serial: str = "SIM-MTR-0001") -> None:
        if private_key is not None and not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("the simulated meter signs with a P-256 (secp256r1) key")
        self._key = private_key or ec.generate_private_key(ec.SECP256R1())
        self.serial = serial
        self._page = 0

    @property
    def public_key_der(self) -> bytes:
        """The DER SubjectPublicKeyInfo, as OCMF requires a meter's key to be published."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def public_key_hex(self) -> str:
        return self.public_key_der.hex().upper()

    @property
    def public_key_base64(self) -> str:
        return base64.b64encode(self.public_key_der).decode("ascii")

    def begin(self, energy_wh: int, *, token: str | None, at: datetime | None = None) -> str:
        return self.record("B", energy_wh, token=token, at=at)

    def end(self, energy_wh: int, *, token: str | None, at: datetime | None = None) -> str:
        return self.record("E", energy_wh, token=token, at=at)

    def record(self, reason: str, energy_wh: int, *, token: str | None, at: datetime | None = None) -> str:
        """One signed record with one reading of the register (``TX`` = ``reason``), in kWh."""
        self._page += 1
        reading = {
            "TM": ocmf_time(at or datetime.now(UTC)),
            "TX": reason,
            # Written as a JSON number with the text chosen here: the signature covers the text.
            "RV": "__RV__",
            "RI": REGISTER,
            "RU": "kWh",
            "RT": "AC",
            "EF": "",
            "ST": "G",
        }
        payload: dict[str, Any] = {
            "FV": "1.0",
            "GI": "ladeplan simulator",
            "GS": f"{self.serial}-GW",
            "GV": "1.0",
            "PG": f"T{self._page}",
            "MV": "ladeplan",
            "MM": "SIM-OCMF",
            "MS": self.serial,
            "MF": "1.0",
            "IS": token is not None,
            "IL": "VERIFIED" if token is not None else "NONE",
            "IF": ["RFID_PLAIN", "OCPP_RS_TLS"] if token is not None else ["RFID_NONE"],
            "IT": "ISO14443" if token is not None else "NONE",
            "ID": token or "",
            "RD": [reading],
        }
        kwh = (Decimal(energy_wh) / 1000).quantize(Decimal("0.001"))
        text = json.dumps(payload, separators=(",", ":")).replace('"__RV__"', str(kwh))
        signature = self._key.sign(text.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
        section = json.dumps({"SA": SIGNING_METHOD, "SD": signature.hex().upper()}, separators=(",", ":"))
        return f"OCMF|{text}|{section}"

    def signed_meter_value(self, record: str, *, with_key: bool = True) -> dict[str, str]:
        """OCPP 2.0.1 ``signedMeterValue`` (snake_case keys, as the ``ocpp`` package takes them).

        ``signedMeterData`` is base64, as the 2.0.1 spec asks; ``publicKey`` is the base64 DER key,
        or empty for a charge point that sends its key once, not with every value.
        """
        return {
            "signed_meter_data": base64.b64encode(record.encode("utf-8")).decode("ascii"),
            "signing_method": SIGNING_METHOD,
            "encoding_method": "OCMF",
            "public_key": self.public_key_base64 if with_key else "",
        }

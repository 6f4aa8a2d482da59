"""Signed meter values as charge points send them: find the meter's data inside its OCPP wrapping.

The data reaches us in several wrappings, all kept byte for byte in storage; only verification
and export look inside:

- OCPP 1.6 ``format: "SignedData"``: the ``value`` is the meter's string itself (OCMF, or OCMF
  hex-encoded as a whole, or another format), or, in the OCA/has-to-be convention, a JSON object
  ``{"signedMeterData" | "signedMeterValue", "encodingMethod", "signingMethod", "publicKey"}``
  mirroring OCPP 2.x.
- OCPP 2.0.1/2.1 ``signedMeterValue``: ``signedMeterData`` is base64 by the spec; many charge
  points put the plain string there instead. ``publicKey`` may be empty (sent once per transaction).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from enum import StrEnum

from ladeplan_contracts.meter import looks_signed as contract_looks_signed

from .results import SignedDataFormat
from .signatures import UnknownFormat, detect_format

# The formats as the Transparenzsoftware's XML names them (its VerificationType enum).
TRANSPARENCY_FORMATS = {
    SignedDataFormat.OCMF: "OCMF",
    SignedDataFormat.OCMF_HEX: "OCMF",
    SignedDataFormat.ALFEN: "ALFEN",
    SignedDataFormat.EDL40_SIG: "EDL_40_SIG",
    SignedDataFormat.PCDF: "PCDF",
}
_WRAPPER_DATA_KEYS = ("signedMeterData", "signedMeterValue")


class Transport(StrEnum):
    """How the exported text encodes the meter's data (the Transparenzsoftware's ``encoding``)."""

    PLAIN = "plain"
    HEX = "hex"
    BASE64 = "base64"


@dataclass(frozen=True)
class MeterData:
    """The meter's signed data found inside one captured value."""

    data: str
    """What the verifiers read: the meter's string, transport encoding removed."""
    text: str
    """The meter's data exactly as it was sent (possibly base64 or hex); what an export carries."""
    transport: Transport
    format: SignedDataFormat
    public_key: str | None
    """A key that travelled with the value (2.x ``publicKey`` or the 1.6 JSON wrapper's)."""

    @property
    def transparency_format(self) -> str:
        return TRANSPARENCY_FORMATS[self.format]


def _key(text: object) -> str | None:
    # 2.x sends "" when PublicKeyWithSignedMeterValue says the key is not repeated in this value.
    if not isinstance(text, str):
        return None
    return text.strip() or None


def _base64_text(text: str) -> str | None:
    try:
        decoded = base64.b64decode("".join(text.split()), validate=True)
        return decoded.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _wrapped(text: str) -> tuple[str, str | None] | None:
    """The data and key of the 1.6 JSON wrapper, or None when ``text`` is not one."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        wrapper = json.loads(text)
    except ValueError:
        return None
    if not isinstance(wrapper, dict):
        return None
    data = next((wrapper[k] for k in _WRAPPER_DATA_KEYS if isinstance(wrapper.get(k), str)), None)
    return None if data is None else (data, _key(wrapper.get("publicKey")))


def meter_data(raw: str, *, public_key: str | None = None) -> MeterData:
    """The meter's data inside ``raw`` (see the module notes). Raises ``UnknownFormat``."""
    key = _key(public_key)
    wrapped = _wrapped(raw)
    if wrapped is not None:
        inner, inner_key = wrapped
        return meter_data(inner, public_key=inner_key or key)
    try:
        kind = detect_format(raw)
    except UnknownFormat:
        decoded = _base64_text(raw)
        if decoded is None:
            raise
        return MeterData(decoded, raw, Transport.BASE64, detect_format(decoded), key)
    transport = Transport.HEX if kind is SignedDataFormat.OCMF_HEX else Transport.PLAIN
    return MeterData(raw, raw, transport, kind, key)


def embedded_key(raw: str, *, public_key: str | None = None) -> str | None:
    """The key that travelled with a value, also from inside a 1.6 JSON wrapper; None if there is none."""
    try:
        return meter_data(raw, public_key=public_key).public_key
    except UnknownFormat:
        return _key(public_key)


# A plain sampled value that is signed data anyway. Defined with the contract, because the gateway
# routes a message by it (``transaction.signed_meter_values``) and capture must agree on what that is.
looks_signed = contract_looks_signed

"""EDL40 ``<signedMeterValue>`` XML (OCPP 1.6 deployments with EMH/eBZ "EDL" meters).

ECDSA P-192/SHA-256 over the 320 decoded bytes of ``encodedMeterValue``; the signature is the
first 48 bytes (``r||s``) of ``meterValueSignature``, whose last 2 bytes are logbook data; the
key is a raw ``X||Y`` (48 bytes).
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET

from ..crypto.curves import curve_by_name
from ..results import SignatureCheck
from .raw import MalformedSignedData, verify_embedded

_CURVE = curve_by_name("secp192r1")
_SIGNATURE_SIZE = 2 * _CURVE.coordinate_size


def looks_like(text: str) -> bool:
    return "<signedMeterValue" in text[:200]


def _document(text: str) -> ET.Element:
    # Entity expansion (billion laughs, external entities) needs a DTD; this format has none.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise MalformedSignedData("signedMeterValue must not carry a DTD")
    try:
        root = ET.fromstring(text)  # noqa: S314 - no DTD can reach the parser (checked above)
    except ET.ParseError as error:
        raise MalformedSignedData(f"signedMeterValue is not well-formed XML ({error})") from None
    if root.tag != "signedMeterValue":
        raise MalformedSignedData("root element is not signedMeterValue")
    return root


def _child(root: ET.Element, name: str) -> ET.Element:
    element = root.find(name)
    if element is None:
        raise MalformedSignedData(f"signedMeterValue has no {name}")
    return element


def _base64(root: ET.Element, name: str) -> bytes:
    element = _child(root, name)
    if element.get("encoding", "base64") != "base64":
        raise MalformedSignedData(f"{name} is not base64")
    try:
        return base64.b64decode("".join((element.text or "").split()), validate=True)
    except binascii.Error:
        raise MalformedSignedData(f"{name} is not base64") from None


def verify(text: str, key_text: str) -> SignatureCheck:
    root = _document(text)
    method = (_child(root, "signatureMethod").text or "").strip()
    encoding = (_child(root, "encodingMethod").text or "").strip()
    if method != "ECDSA192SHA256" or encoding != "EDL":
        return SignatureCheck.failed(f"unsupported signedMeterValue method {method!r} / encoding {encoding!r}")
    message = _base64(root, "encodedMeterValue")
    signature = _base64(root, "meterValueSignature")
    if len(signature) < _SIGNATURE_SIZE:
        return SignatureCheck.failed("meterValueSignature is shorter than r||s")
    return verify_embedded(key_text, _base64(root, "publicKey"), _CURVE, message, signature[:_SIGNATURE_SIZE])

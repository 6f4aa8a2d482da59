"""Parsing ``OCMF|{payload}|{signature}`` (also whole-string hex) into an ``OcmfRecord``.

Two levels, because verification must not depend on how well a meter filled its fields:
``split_ocmf`` finds the signed bytes and reads the signature section (all a signature check
needs); ``parse_ocmf`` also types the payload. Real meters bend the spec (``FV`` as a number,
``RV`` as a space-padded string, ``IS`` holding a level): such values are read where their
meaning is unambiguous, and anything else raises ``OcmfParseError``, never another exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import NoReturn

from .fields import NumberLiteral, OcmfParseError, as_text, payload_from_json, to_json_value
from .model import OcmfRecord, OcmfSections, Signature

_HEADER = "OCMF"
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def _reject_constant(name: str) -> NoReturn:
    raise OcmfParseError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # Duplicate keys are legal-ish JSON, but two verifiers could then show two different values
    # from one signed record (one keeps the first, one the last): refuse them.
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise OcmfParseError(f"duplicate key {key!r}")
        result[key] = value
    return result


def load_json_object(text: str, section: str) -> dict[str, object]:
    """A JSON object with numbers kept as their source text (``NumberLiteral``)."""
    hook: Callable[[list[tuple[str, object]]], dict[str, object]] = _unique_keys
    try:
        value = json.loads(
            text,
            parse_float=NumberLiteral,
            parse_int=NumberLiteral,
            parse_constant=_reject_constant,
            object_pairs_hook=hook,
        )
    except OcmfParseError as error:
        raise OcmfParseError(f"{section}: {error}") from None
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise OcmfParseError(f"{section} is not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise OcmfParseError(f"{section} is not a JSON object")
    return value


def _ocmf_text(data: str) -> tuple[str, bool]:
    text = data.strip()
    if text.startswith(_HEADER + "|"):
        return text, False
    if _HEX.fullmatch(text):
        decoded = bytes.fromhex(text)
        if decoded.startswith(b"OCMF|"):
            try:
                return decoded.decode("utf-8"), True
            except UnicodeDecodeError:
                raise OcmfParseError("hex-encoded OCMF is not UTF-8") from None
    raise OcmfParseError("not an OCMF record (expected 'OCMF|{payload}|{signature}' or its hex encoding)")


def _signature(section: dict[str, object]) -> Signature:
    known = {"SD", "SA", "SE", "SM"}
    values = {key: as_text(section.get(key), key) for key in known}
    extra = {key: to_json_value(value) for key, value in section.items() if key not in known}
    defaults = Signature(data=None)
    return Signature(
        data=values["SD"],
        algorithm=values["SA"] or defaults.algorithm,
        encoding=values["SE"] or defaults.encoding,
        mime_type=values["SM"] or defaults.mime_type,
        extra=extra,
    )


def split_ocmf(data: str) -> OcmfSections:
    """The signed payload bytes and the signature section, without interpreting the payload."""
    text, hex_encoded = _ocmf_text(data)
    sections = text.split("|")
    if len(sections) != 3:
        # The payload may not contain "|" (spec: sections), and a fourth section (a public key
        # appended by some tools) is not OCMF: a key must come from a trusted register.
        raise OcmfParseError(f"OCMF has exactly three sections separated by '|', found {len(sections)}")
    try:
        signed_bytes = sections[1].encode("utf-8")
    except UnicodeEncodeError:
        raise OcmfParseError("payload is not encodable as UTF-8") from None
    signature = _signature(load_json_object(sections[2], "signature section"))
    return OcmfSections(signed_bytes=signed_bytes, signature=signature, hex_encoded=hex_encoded)


def parse_ocmf(data: str) -> OcmfRecord:
    """The whole record, typed. Raises ``OcmfParseError`` for anything that is not OCMF."""
    sections = split_ocmf(data)
    payload_json = load_json_object(sections.signed_bytes.decode("utf-8"), "payload section")
    return OcmfRecord(sections=sections, payload=payload_from_json(payload_json))

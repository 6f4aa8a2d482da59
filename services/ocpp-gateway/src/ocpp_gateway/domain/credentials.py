"""HTTP Basic credentials of OCPP security profiles 1 and 2 (RFC 7617)."""

from __future__ import annotations

import base64
import binascii


def parse_basic_auth(header: str) -> tuple[str, str] | None:
    """``(login, password)`` from an ``Authorization`` header, or None when it is not usable Basic auth.

    OCPP 2.0.1 passwords may be any printable characters, so the password is everything after the
    first colon; UTF-8 is tried first and Latin-1 (RFC 7617's historical default) second.
    """
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    login, colon, password = text.partition(":")
    if not colon or not login:
        return None
    return login, password

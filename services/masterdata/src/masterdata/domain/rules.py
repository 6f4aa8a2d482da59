"""Validation rules for what operators enter; each raises ``ValueError`` with a reason they can act on.

The functions return the normalised value, so a pydantic validator can call them directly and the
reason ends up in the API's 422 body.
"""

from __future__ import annotations

import functools
import re
import uuid
import zoneinfo
from collections.abc import Iterable

# The charge point id is the OCPP identity: the last segment of the websocket URL and the HTTP Basic
# user name, so it is kept to characters that need no escaping in either place.
CHARGE_POINT_ID_PATTERN = r"^[A-Za-z0-9._-]{1,48}$"
_CHARGE_POINT_ID = re.compile(CHARGE_POINT_ID_PATTERN)

# OCPP 2.0.1 BasicAuthPassword: 16 to 40 characters. Printable ASCII without spaces, because the
# password travels base64-encoded in an HTTP header and charge points disagree on non-ASCII encodings.
PASSWORD_MIN_LENGTH = 16
PASSWORD_MAX_LENGTH = 40
_PASSWORD = re.compile(r"^[\x21-\x7e]+$")

# OCPP IdToken: up to 36 characters (2.0.1 idToken); printable ASCII, as 1.6 CiString demands.
TOKEN_UID_MAX_LENGTH = 36
_TOKEN_UID = re.compile(r"^[\x21-\x7e]{1,36}$")

NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit minus the angle brackets
_EMAIL_LOCAL = re.compile(r"^[^\s@\"(),:;<>\[\]\\]{1,64}$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def charge_point_id(value: str) -> str:
    if not _CHARGE_POINT_ID.fullmatch(value):
        raise ValueError("must be 1 to 48 characters of A-Z, a-z, 0-9, '.', '_' and '-'")
    return value


def charge_point_password(value: str) -> str:
    if not PASSWORD_MIN_LENGTH <= len(value) <= PASSWORD_MAX_LENGTH:
        raise ValueError(f"must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters (OCPP BasicAuthPassword)")
    if not _PASSWORD.fullmatch(value):
        raise ValueError("must consist of printable ASCII characters without spaces")
    return value


def could_be_password(value: str) -> bool:
    """False for a value no charge point password can equal (lets authentication skip long inputs)."""
    return PASSWORD_MIN_LENGTH <= len(value) <= PASSWORD_MAX_LENGTH


@functools.cache
def _known_timezones() -> frozenset[str]:
    # Read once: the lookup walks the time zone database on disk (or the tzdata package).
    return frozenset(zoneinfo.available_timezones())


def timezone(value: str) -> str:
    """An IANA time zone name such as ``Europe/Berlin``; tariffs and reports use the local time."""
    if value not in _known_timezones():
        raise ValueError("must be an IANA time zone name such as 'Europe/Berlin'")
    return value


def display_name(value: str) -> str:
    """A human-readable name: surrounding spaces removed, 1 to 200 characters, no control characters."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if len(value) > NAME_MAX_LENGTH:
        raise ValueError(f"must be at most {NAME_MAX_LENGTH} characters")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def unique_connector_ids(connector_ids: Iterable[int]) -> None:
    seen: set[int] = set()
    for connector_id in connector_ids:
        if connector_id in seen:
            raise ValueError(f"connector_id {connector_id} appears more than once")
        seen.add(connector_id)


def email(value: str) -> str:
    """A plausible mail address, normalised: spaces trimmed and the domain lower-cased.

    Deliverability is not checked (that needs DNS); this refuses typos and garbage. The local part is
    kept as written, since only the receiving server may interpret its case.
    """
    value = value.strip()
    if len(value) > EMAIL_MAX_LENGTH:
        raise ValueError(f"must be at most {EMAIL_MAX_LENGTH} characters")
    local, at, domain = value.rpartition("@")
    if not at or not _EMAIL_LOCAL.fullmatch(local) or local.startswith(".") or local.endswith("."):
        raise ValueError("must be a mail address such as 'name@example.com'")
    if ".." in local:
        raise ValueError("must be a mail address such as 'name@example.com'")
    domain = domain.lower()
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("must have a valid domain after '@'") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise ValueError("must have a valid domain after '@'")
    return f"{local}@{domain}"


def token_uid(value: str) -> str:
    if not _TOKEN_UID.fullmatch(value):
        raise ValueError(
            f"must be 1 to {TOKEN_UID_MAX_LENGTH} printable ASCII characters without spaces (OCPP IdToken)"
        )
    return value


def parse_uuid(value: str) -> str | None:
    """The canonical form of a UUID, or None when ``value`` is none (an id in a URL that cannot exist)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def new_id() -> str:
    return str(uuid.uuid4())

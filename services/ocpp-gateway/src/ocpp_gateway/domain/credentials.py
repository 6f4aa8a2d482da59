"""Charge point credentials: at the handshake HTTP Basic (security profiles 1 and 2, RFC 7617) and the
subject of a TLS client certificate (security profile 3); and the CALLs that change the Basic password."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from ocpp_gateway.domain.command_calls import Inapplicable, OcppCall


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


def subject_attributes(certificate: Mapping[str, Any], name: str) -> list[str]:
    """Every value of attribute ``name`` (e.g. ``commonName``) in a certificate's subject.

    ``certificate`` is the dictionary of :meth:`ssl.SSLObject.getpeercert`, whose subject is a
    sequence of relative distinguished names, each a sequence of ``(attribute, value)`` pairs.
    """
    return [value for rdn in certificate.get("subject", ()) for attribute, value in rdn if attribute == name]


def certificate_refusal(
    certificate: Mapping[str, Any], charge_point_id: str, organization: str | None = None
) -> str | None:
    """Why a verified client certificate may not connect as ``charge_point_id``, or None when it may.

    OCPP 2.0.1 (Part 2, A00) puts the charge point's serial number, which is its identity in the URL
    here, into the subject's commonName and the operator's name into organizationName. A subject
    with several commonNames is refused: which of them the certificate vouches for is ambiguous.
    """
    common_names = subject_attributes(certificate, "commonName")
    if len(common_names) != 1:
        return f"the certificate's subject has {len(common_names)} commonNames, not exactly one"
    if common_names[0] != charge_point_id:
        return "the certificate's commonName is not the charge point id in the URL"
    if organization is not None and organization not in subject_attributes(certificate, "organizationName"):
        return "the certificate's organizationName is not this operator's"
    return None


# --- password rotation (security profiles 1 and 2) ----------------------------------------------------

# OCPP 1.6 security whitepaper: AuthorizationKey is the password's bytes hex-encoded, 16 to 20 bytes.
AUTHORIZATION_KEY = "AuthorizationKey"
AUTHORIZATION_KEY_BYTES = (16, 20)
# OCPP 2.0.1/2.1 device model (A01): SecurityCtrlr.BasicAuthPassword.
PASSWORD_COMPONENT, PASSWORD_VARIABLE = "SecurityCtrlr", "BasicAuthPassword"
_USE_ROTATION = "the password is changed through masterdata's password rotation, which keeps the stored hash in step"


def authorization_key_call(password: str) -> OcppCall:
    """OCPP 1.6: ChangeConfiguration of AuthorizationKey with the password hex-encoded."""
    secret = password.encode("ascii")
    low, high = AUTHORIZATION_KEY_BYTES
    if not low <= len(secret) <= high:
        # Said without the value: this text reaches the operator and the logs.
        raise Inapplicable(f"OCPP 1.6 AuthorizationKey holds {low} to {high} bytes; the password has {len(secret)}.")
    return OcppCall("ChangeConfiguration", {"key": AUTHORIZATION_KEY, "value": secret.hex().upper()})


def basic_auth_password_call(password: str) -> OcppCall:
    """OCPP 2.x: SetVariables of SecurityCtrlr.BasicAuthPassword."""
    return OcppCall(
        "SetVariables",
        {
            "set_variable_data": [
                {
                    "attribute_value": password,
                    "component": {"name": PASSWORD_COMPONENT},
                    "variable": {"name": PASSWORD_VARIABLE},
                }
            ]
        },
    )


def refuse_password_key(key: str) -> None:
    """Keep generic 1.6 configuration commands off AuthorizationKey (keys compare case-insensitively).

    Set that way, the charge point would use a password masterdata does not know and be locked out.
    """
    if key.casefold() == AUTHORIZATION_KEY.casefold():
        raise Inapplicable(f"{AUTHORIZATION_KEY} is not set as configuration: {_USE_ROTATION}.")


def refuse_password_variable(component: str, variable: str) -> None:
    """Keep generic 2.x variable commands off SecurityCtrlr.BasicAuthPassword (see :func:`refuse_password_key`)."""
    if (component.casefold(), variable.casefold()) == (PASSWORD_COMPONENT.casefold(), PASSWORD_VARIABLE.casefold()):
        raise Inapplicable(f"{PASSWORD_COMPONENT}.{PASSWORD_VARIABLE} is not set as a variable: {_USE_ROTATION}.")

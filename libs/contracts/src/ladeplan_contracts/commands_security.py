"""Version-neutral commands about the charge point's credentials (OCPP security profiles 1 and 2).

``set_basic_auth_password`` is sent by masterdata's password rotation only, never as a raw
operator command: the rotation keeps the stored hash in step with what the charge point was told,
so a password change can never lock a charge point out (masterdata's README). The model joins
``CommandBody`` in :mod:`ladeplan_contracts.commands`; :data:`INTERNAL_COMMANDS` lists the kinds an
operator API must not offer as such.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_serializer, field_validator

INTERNAL_COMMANDS = frozenset({"set_basic_auth_password"})
"""Command kinds sent only by the service that owns their consequences, not offered to operators as raw commands."""


class SetBasicAuthPassword(BaseModel):
    """Give the charge point a new HTTP Basic password for its next connection.

    The gateway sends OCPP 1.6 ``ChangeConfiguration`` of ``AuthorizationKey`` (the password's bytes
    hex-encoded, 16 to 20 bytes, per the 1.6 security whitepaper) or 2.x ``SetVariables`` of
    ``SecurityCtrlr.BasicAuthPassword`` (16 to 40 characters). ``accepted`` means the charge point
    took it; it then reconnects with it (or, after ``RebootRequired``, does so at its next start).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["set_basic_auth_password"] = "set_basic_auth_password"
    # SecretStr: repr() and logs show ********; only the JSON on the bus carries the text.
    password: SecretStr = Field(min_length=16, max_length=40, description="Printable ASCII without spaces.")

    @field_validator("password")
    @classmethod
    def _printable_ascii(cls, value: SecretStr) -> SecretStr:
        # It travels base64-encoded in an HTTP header; charge points disagree on anything beyond ASCII.
        if not all("\x21" <= char <= "\x7e" for char in value.get_secret_value()):
            raise ValueError("must consist of printable ASCII characters without spaces")
        return value

    @field_serializer("password", when_used="json")
    def _reveal_on_the_wire(self, value: SecretStr) -> str:
        return value.get_secret_value()

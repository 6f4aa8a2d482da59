"""Rotating a charge point's HTTP Basic password (OCPP security profiles 1 and 2) without locking it out.

The new password is sent as the version-neutral ``set_basic_auth_password`` command; the gateway
speaks the charge point's version (1.6 ChangeConfiguration AuthorizationKey, 2.x SetVariables
SecurityCtrlr.BasicAuthPassword). Its hash is stored as *pending* before it is sent, and:

- the charge point refuses it (rejected, not supported, error) or is offline: the pending hash is
  dropped, the old password stays the only one;
- it accepts it, or its answer is lost (timeout): both passwords are valid until the charge point
  logs in with the new one, which then becomes the password and the old one is refused
  (``authentication.py``). A compliant charge point reconnects with the new password at once
  (1.6 security whitepaper, 2.0.1 A01); one answering ``RebootRequired`` does so after its restart.

Stored before sending, because the charge point may reconnect with the new password before its
answer has travelled back here. One rotation at a time: while a password is pending, another
rotation is refused, since the charge point might hold either.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg
import structlog

from ladeplan_contracts.commands import CommandReply
from ladeplan_contracts.commands_security import SetBasicAuthPassword
from ladeplan_platform.commands import CommandClient
from masterdata import password_repository
from masterdata.authentication import ChargePointAuthenticator
from masterdata.domain.errors import DomainError, NotFound

log = structlog.get_logger("masterdata.rotation")

# 20 characters fit both OCPP 1.6 (AuthorizationKey: 16 to 20 bytes) and 2.x (16 to 40 characters);
# 62 symbols give 119 bits. Letters and digits only: some charge points mangle punctuation in headers.
GENERATED_LENGTH = 20
_ALPHABET = string.ascii_letters + string.digits
# Answers after which the charge point may use the new password: keep it valid.
_MAY_HOLD_NEW = frozenset({"accepted", "timeout"})


def generate_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(GENERATED_LENGTH))


class RotationPending(DomainError):
    """A previous rotation's password is still pending (HTTP 409)."""


class RotationRefused(DomainError):
    """The charge point did not take the new password, or could not be reached (HTTP 409); nothing changed."""

    def __init__(self, reply: CommandReply) -> None:
        super().__init__(f"{reply.status}: {reply.detail}")
        self.reply = reply


@dataclass(frozen=True, slots=True)
class RotationStarted:
    """The new password is valid beside the old one until the charge point logs in with it."""

    status: Literal["accepted", "timeout"]  # timeout: the answer was lost, the charge point may hold either
    detail: str | None


@dataclass(frozen=True, slots=True)
class RotationState:
    pending: bool
    pending_since: datetime | None


class PasswordRotation:
    def __init__(self, pool: asyncpg.Pool, authenticator: ChargePointAuthenticator, commands: CommandClient) -> None:
        self._pool = pool
        self._authenticator = authenticator
        self._commands = commands

    async def rotate(self, charge_point_id: str, password: str | None, *, timeout_s: float) -> RotationStarted:
        """Give the charge point ``password`` (validated by the caller) or, when None, a generated one.

        ``timeout_s``: how long the charge point has to answer; after that the rotation counts as sent.
        """
        new_password = password if password is not None else generate_password()
        # Hash first: argon2 takes a while, and the charge point may log in right after it accepts.
        new_hash = await self._authenticator.hash_password(new_password)
        stored = await password_repository.set_pending(self._pool, charge_point_id, new_hash)
        if stored == "unknown":
            raise NotFound("charge point", charge_point_id)
        if stored == "busy":
            raise RotationPending(
                "the password of an earlier rotation is pending until the charge point logs in with it"
            )
        log.info("chargepoint.password_rotation_started", charge_point_id=charge_point_id, generated=password is None)
        # An exception here (bus trouble) leaves the password pending: the charge point may have
        # received it, and an extra valid password is better than a locked-out charge point.
        reply = await self._commands.send(
            charge_point_id, SetBasicAuthPassword(password=new_password), timeout_s=timeout_s
        )
        if reply.status not in _MAY_HOLD_NEW:
            await password_repository.discard_pending(self._pool, charge_point_id, new_hash)
            log.warning(
                "chargepoint.password_rotation_refused",
                charge_point_id=charge_point_id,
                status=reply.status,
                detail=reply.detail,
            )
            raise RotationRefused(reply)
        log.info(
            "chargepoint.password_rotation_sent",
            charge_point_id=charge_point_id,
            status=reply.status,
            detail=reply.detail,
        )
        return RotationStarted("accepted" if reply.status == "accepted" else "timeout", reply.detail)

    async def state(self, charge_point_id: str) -> RotationState:
        hashes = await password_repository.get_password_hashes(self._pool, charge_point_id)
        if hashes is None:
            raise NotFound("charge point", charge_point_id)
        return RotationState(pending=hashes.pending is not None, pending_since=hashes.pending_since)

    async def discard(self, charge_point_id: str) -> bool:
        """Forget a pending password (e.g. the charge point was reset on site); True when one was pending."""
        await self.state(charge_point_id)  # NotFound for an unknown charge point
        discarded = await password_repository.discard_pending(self._pool, charge_point_id)
        log.info("chargepoint.password_rotation_discarded", charge_point_id=charge_point_id, discarded=discarded)
        return discarded

"""Charge point authentication for the gateway's websocket handshake (OCPP security profile 1/2).

argon2 is deliberately slow and memory-hungry, so it runs in worker threads, a bounded number at a
time: the event loop keeps serving, and a reconnect storm cannot take more than
``concurrency x memory_cost`` of memory.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
import structlog

from masterdata import password_repository, repository
from masterdata.domain import rules
from masterdata.domain.passwords import CredentialHasher

log = structlog.get_logger("masterdata.authentication")

# Stand-in candidate when the presented password cannot match anything: still verified, for the timing.
_UNMATCHABLE = "\x00" * rules.PASSWORD_MIN_LENGTH


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    location_id: str | None = None


class ChargePointAuthenticator:
    """Hashes new passwords and checks presented ones, off the event loop."""

    def __init__(self, pool: asyncpg.Pool, hasher: CredentialHasher, *, concurrency: int = 4) -> None:
        self._pool = pool
        self._hasher = hasher
        self._slots = asyncio.Semaphore(concurrency)

    @classmethod
    async def create(cls, pool: asyncpg.Pool, *, concurrency: int = 4) -> ChargePointAuthenticator:
        """Build one; the hasher's dummy hash costs one argon2 run, done in a thread as well."""
        return cls(pool, await asyncio.to_thread(CredentialHasher), concurrency=concurrency)

    async def hash_password(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def authenticate(self, charge_point_id: str, password: str) -> Verdict:
        """Accept only a known charge point presenting its password; unknown ids cost the same time.

        During a password rotation the pending password is accepted as well, and the first login
        with it makes it the password (the charge point has proven it holds it; the old one is
        refused from then on). Until then the old one keeps working, so a charge point that did not
        take the new password, or needs a reboot to use it, is never locked out.
        """
        hashes = None
        if _valid_id(charge_point_id):
            hashes = await password_repository.get_password_hashes(self._pool, charge_point_id)
        # An oversized input would make argon2 work harder than for any real password: swap it out.
        candidate = password if rules.could_be_password(password) else _UNMATCHABLE
        if await self._verify(hashes.current if hashes else None, candidate) and hashes is not None:
            log.info("chargepoint.authenticated", charge_point_id=charge_point_id)
            if self._hasher.needs_rehash(hashes.current):
                await self._upgrade_hash(charge_point_id, hashes.current, password)
            return Verdict(accepted=True, location_id=hashes.location_id)
        if hashes is not None and hashes.pending is not None and await self._verify(hashes.pending, candidate):
            promoted = await password_repository.promote_pending(self._pool, charge_point_id, hashes.pending)
            log.info("chargepoint.authenticated", charge_point_id=charge_point_id, rotation_completed=promoted)
            return Verdict(accepted=True, location_id=hashes.location_id)
        log.info("chargepoint.authentication_refused", charge_point_id=charge_point_id, known=hashes is not None)
        return Verdict(accepted=False)

    async def _verify(self, stored_hash: str | None, candidate: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.verify, stored_hash, candidate)

    async def confirm_registered(self, charge_point_id: str) -> Verdict:
        """Security profile 3: the gateway verified a client certificate naming this charge point.

        The certificate is the credential, so only registration is checked: a charge point removed
        from master data is refused while its certificate is still valid. No secret is compared,
        so there is no timing to equalise.
        """
        credentials = (
            await repository.get_credentials(self._pool, charge_point_id) if _valid_id(charge_point_id) else None
        )
        if credentials is None:
            log.info(
                "chargepoint.authentication_refused", charge_point_id=charge_point_id, known=False, method="certificate"
            )
            return Verdict(accepted=False)
        log.info("chargepoint.authenticated", charge_point_id=charge_point_id, method="certificate")
        return Verdict(accepted=True, location_id=credentials[1])

    async def _upgrade_hash(self, charge_point_id: str, old_hash: str, password: str) -> None:
        # The hash parameters were raised since this password was set; the plain password is only
        # at hand right now, so re-hash it with today's parameters.
        try:
            new_hash = await self.hash_password(password)
            await repository.replace_password_hash(self._pool, charge_point_id, old_hash, new_hash)
            log.info("chargepoint.password_rehashed", charge_point_id=charge_point_id)
        except Exception:  # the charge point was authenticated; an upgrade can wait for the next login
            log.exception("chargepoint.password_rehash_failed", charge_point_id=charge_point_id)


def _valid_id(charge_point_id: str) -> bool:
    try:
        rules.charge_point_id(charge_point_id)
    except ValueError:
        return False
    return True

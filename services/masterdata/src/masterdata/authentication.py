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

from masterdata import repository
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
        """Accept only a known charge point presenting its password; unknown ids cost the same time."""
        credentials = None
        if _valid_id(charge_point_id):
            credentials = await repository.get_credentials(self._pool, charge_point_id)
        stored_hash, location_id = credentials if credentials is not None else (None, None)
        # An oversized input would make argon2 work harder than for any real password: swap it out.
        candidate = password if rules.could_be_password(password) else _UNMATCHABLE
        async with self._slots:
            accepted = await asyncio.to_thread(self._hasher.verify, stored_hash, candidate)
        if not accepted or stored_hash is None:
            log.info(
                "chargepoint.authentication_refused", charge_point_id=charge_point_id, known=stored_hash is not None
            )
            return Verdict(accepted=False)
        log.info("chargepoint.authenticated", charge_point_id=charge_point_id)
        if self._hasher.needs_rehash(stored_hash):
            await self._upgrade_hash(charge_point_id, stored_hash, password)
        return Verdict(accepted=True, location_id=location_id)

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

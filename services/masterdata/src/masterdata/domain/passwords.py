"""Charge point passwords: argon2id hashes, and a verification that takes as long for unknown ids.

CPU-bound and synchronous on purpose: callers run it in a worker thread (see ``authentication``).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import VerificationError

# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane) rather than the library's 64 MiB default:
# these are machine secrets of 16+ characters, not human passwords, and after a gateway restart
# every charge point authenticates at once, so memory per verification is what limits us.
TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1


class CredentialHasher:
    """Hashes and verifies charge point passwords.

    ``verify(None, ...)`` checks against a throw-away hash made with the same parameters, so that
    an unknown charge point id costs the same time as a wrong password and timing does not reveal
    which ids exist.
    """

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher(
            time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=Type.ID
        )
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        return str(self._hasher.hash(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored_hash or self._dummy_hash, password)) and stored_hash is not None
        except VerificationError:
            # Mismatch (or a hash the library cannot check): refused. A malformed stored hash
            # (InvalidHashError) is not caught: it means corrupted data and must surface in the logs.
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when ``stored_hash`` was made with other parameters than today's (upgrade on login)."""
        return bool(self._hasher.check_needs_rehash(stored_hash))

"""argon2 hashing of charge point passwords and the equal-cost refusal of unknown ids."""

from __future__ import annotations

from typing import Literal

import pytest
from argon2 import PasswordHasher, Type

from masterdata.domain.passwords import CredentialHasher

pytestmark = pytest.mark.unit

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def hasher() -> CredentialHasher:
    return CredentialHasher()


def test_hash_is_argon2id_and_hides_the_password(hasher: CredentialHasher) -> None:
    stored = hasher.hash(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert hasher.hash(PASSWORD) != stored  # salted


def test_verify_accepts_only_the_password(hasher: CredentialHasher) -> None:
    stored = hasher.hash(PASSWORD)
    assert hasher.verify(stored, PASSWORD)
    assert not hasher.verify(stored, PASSWORD.upper())
    assert not hasher.verify(stored, "")


class _CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(str(hash))
        return super().verify(hash, password)


def test_unknown_id_still_runs_a_verification() -> None:
    """Timing must not tell whether a charge point id exists: no stored hash still costs one verify."""
    counting = _CountingHasher()
    hasher = CredentialHasher(counting)
    assert not hasher.verify(None, PASSWORD)
    assert len(counting.verified) == 1
    assert counting.verified[0].startswith("$argon2")


def test_unknown_id_is_refused_even_with_the_dummy_password() -> None:
    # Whatever the dummy hash was made from, "no stored hash" can never be accepted.
    counting = _CountingHasher()
    hasher = CredentialHasher(counting)
    counting.verify = lambda *_: True  # type: ignore[method-assign]
    assert not hasher.verify(None, PASSWORD)


def test_needs_rehash_when_parameters_were_raised(hasher: CredentialHasher) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID).hash(PASSWORD)
    assert hasher.needs_rehash(weak)
    assert hasher.verify(weak, PASSWORD)  # old hashes keep working until upgraded
    assert not hasher.needs_rehash(hasher.hash(PASSWORD))

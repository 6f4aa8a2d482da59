"""The hash chain over stored signed records: each record's hash covers its fields and the previous hash.

Changing, removing, inserting or reordering a stored record breaks every hash from there on,
so ``ladeplan receipts verify-chain`` finds tampering that bypassed the database's append-only
triggers (a superuser, a restored dump). Removing the newest records leaves a shorter valid
chain: that shows only against a head hash kept elsewhere, which is why the report names the
head. The fields are hashed as canonical JSON (sorted keys, no spaces, non-ASCII as ``\\u``
escapes), timestamps as UTC ISO 8601 with microseconds, as PostgreSQL stores them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64
"""The ``prev_hash`` of the first record."""

ChainValue = str | int | datetime | None


def canonical(fields: Mapping[str, ChainValue]) -> bytes:
    """The bytes a record's hash covers: its fields as canonical JSON."""

    def plain(value: ChainValue) -> str | int | None:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("chained timestamps must be timezone-aware")
            return value.astimezone(UTC).isoformat(timespec="microseconds")
        return value

    text = json.dumps({key: plain(value) for key, value in fields.items()}, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def record_hash(prev_hash: str, fields: Mapping[str, ChainValue]) -> str:
    """SHA-256 (hex) over the previous hash and the record's canonical fields."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(fields)).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    id: int
    prev_hash: str
    record_hash: str
    fields: Mapping[str, ChainValue]


@dataclass(frozen=True)
class ChainReport:
    valid: bool
    records: int
    head: str = GENESIS
    """The last record's hash: worth keeping outside the database to detect a cut-off tail."""
    first_bad_id: int | None = None
    reason: str | None = None


class ChainVerifier:
    """Feed the records in id order; the report names the first record that breaks the chain."""

    def __init__(self) -> None:
        self._expected_prev = GENESIS
        self._count = 0
        self._broken: ChainReport | None = None

    def add(self, link: ChainLink) -> bool:
        """Check one record; False once the chain is broken (later records need not be read)."""
        if self._broken is not None:
            return False
        self._count += 1
        if link.prev_hash != self._expected_prev:
            self._broken = self._fail(link, "its prev_hash is not the hash of the record before it")
        elif record_hash(link.prev_hash, link.fields) != link.record_hash:
            self._broken = self._fail(link, "its fields do not match its record_hash")
        self._expected_prev = link.record_hash
        return self._broken is None

    def _fail(self, link: ChainLink, why: str) -> ChainReport:
        reason = f"record {link.id}: {why} (a record was changed, removed or inserted)"
        return ChainReport(False, self._count, self._expected_prev, link.id, reason)

    def report(self) -> ChainReport:
        return self._broken or ChainReport(True, self._count, self._expected_prev)

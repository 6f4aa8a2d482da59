"""SQL for charge point passwords during a rotation: the current hash and at most one pending hash.

Every change is conditional on what the caller saw (compare-and-set), so a rotation, a login that
promotes the pending password and an operator discarding it can interleave across processes without
one overwriting another's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from masterdata.repository import Executor


@dataclass(frozen=True, slots=True)
class PasswordHashes:
    current: str
    pending: str | None
    pending_since: datetime | None
    location_id: str


async def get_password_hashes(conn: Executor, charge_point_id: str) -> PasswordHashes | None:
    row = await conn.fetchrow(
        "SELECT password_hash, pending_password_hash, pending_password_since, location_id::text "
        "FROM charge_points WHERE id = $1",
        charge_point_id,
    )
    if row is None:
        return None
    return PasswordHashes(
        row["password_hash"], row["pending_password_hash"], row["pending_password_since"], row["location_id"]
    )


async def set_pending(conn: Executor, charge_point_id: str, pending_hash: str) -> Literal["set", "busy", "unknown"]:
    """Store ``pending_hash`` unless another rotation's password is still pending (``busy``)."""
    row = await conn.fetchrow(
        "UPDATE charge_points SET pending_password_hash = $2, pending_password_since = now() "
        "WHERE id = $1 AND pending_password_hash IS NULL RETURNING id",
        charge_point_id,
        pending_hash,
    )
    if row is not None:
        return "set"
    exists = await conn.fetchval("SELECT true FROM charge_points WHERE id = $1", charge_point_id)
    return "busy" if exists else "unknown"


async def promote_pending(conn: Executor, charge_point_id: str, pending_hash: str) -> bool:
    """Make ``pending_hash`` the password (the charge point logged in with it); False if it changed meanwhile."""
    status = await conn.execute(
        "UPDATE charge_points SET password_hash = pending_password_hash, "
        "pending_password_hash = NULL, pending_password_since = NULL "
        "WHERE id = $1 AND pending_password_hash = $2",
        charge_point_id,
        pending_hash,
    )
    return bool(status == "UPDATE 1")


async def discard_pending(conn: Executor, charge_point_id: str, pending_hash: str | None = None) -> bool:
    """Forget the pending password (only ``pending_hash``, when given); True when one was forgotten."""
    status = await conn.execute(
        "UPDATE charge_points SET pending_password_hash = NULL, pending_password_since = NULL "
        "WHERE id = $1 AND pending_password_hash IS NOT NULL "
        "AND ($2::text IS NULL OR pending_password_hash = $2)",
        charge_point_id,
        pending_hash,
    )
    return bool(status == "UPDATE 1")

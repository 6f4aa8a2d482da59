"""SQL of the read-back verdicts (``profile_checks``, migration 0003) and of forgetting held profiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from ems_adapter.domain.readback import Difference, Verdict


@dataclass(frozen=True)
class CheckRow:
    charge_point_id: str
    checked_at: datetime | None
    verdict: str | None
    detail: str | None
    evse_id: int | None
    differs_at: datetime | None
    expected_kw: float | None
    reported_kw: float | None


async def record_check(
    conn: asyncpg.Connection,
    charge_point_id: str,
    checked_at: datetime,
    verdict: Verdict,
    detail: str | None,
    difference: Difference | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO profile_checks (charge_point_id, checked_at, verdict, detail, evse_id, differs_at, expected_kw,
                                    reported_kw)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (charge_point_id) DO UPDATE SET checked_at = EXCLUDED.checked_at, verdict = EXCLUDED.verdict,
            detail = EXCLUDED.detail, evse_id = EXCLUDED.evse_id, differs_at = EXCLUDED.differs_at,
            expected_kw = EXCLUDED.expected_kw, reported_kw = EXCLUDED.reported_kw
        WHERE profile_checks.checked_at <= EXCLUDED.checked_at
        """,
        charge_point_id,
        checked_at,
        verdict,
        detail,
        None if difference is None else difference.evse_id,
        None if difference is None else difference.at,
        None if difference is None else difference.expected_kw,
        None if difference is None else difference.reported_kw,
    )


async def lock_held_rows(conn: asyncpg.Connection, charge_point_id: str) -> dict[tuple[int, str], str]:
    """The charge point's held profiles as stored (JSON text), locked until the caller's transaction ends."""
    rows = await conn.fetch(
        "SELECT evse_id, purpose, profile::text AS profile FROM sent_profiles WHERE charge_point_id = $1 FOR UPDATE",
        charge_point_id,
    )
    return {(row["evse_id"], row["purpose"]): row["profile"] for row in rows}


async def forget_held(conn: asyncpg.Connection, charge_point_id: str, keys: Sequence[tuple[int, str]]) -> None:
    """Forget that the charge point holds these profiles: the next replan sends them again."""
    for evse_id, purpose in keys:
        await conn.execute(
            "DELETE FROM sent_profiles WHERE charge_point_id = $1 AND evse_id = $2 AND purpose = $3",
            charge_point_id,
            evse_id,
            purpose,
        )


async def checks_of_location(conn: asyncpg.Connection, location_id: str) -> list[CheckRow] | None:
    """Every charge point of the location with its last read-back (None fields: never checked); None: no location."""
    if await conn.fetchval("SELECT 1 FROM locations WHERE location_id = $1", location_id) is None:
        return None
    rows = await conn.fetch(
        """
        SELECT c.charge_point_id, k.checked_at, k.verdict, k.detail, k.evse_id, k.differs_at, k.expected_kw,
               k.reported_kw
        FROM charge_points c LEFT JOIN profile_checks k USING (charge_point_id)
        WHERE c.location_id = $1 ORDER BY c.charge_point_id
        """,
        location_id,
    )
    return [CheckRow(**dict(row)) for row in rows]

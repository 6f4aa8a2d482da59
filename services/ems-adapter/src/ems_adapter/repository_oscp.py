"""SQL of the ``ems`` schema's OSCP and external-EMS tables (see ``migrations/versions/0002_oscp.py``).

Like ``repository.py``: each function takes the caller's connection, so the use case owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from ems_adapter.domain.capacity import ForecastBlock
from ems_adapter.domain.external_plan import ExternalPlan


@dataclass
class Peer:
    """What ladeplan knows of its Capacity Provider (the row ``oscp_peer``)."""

    our_token_sha256: str | None = None
    peer_token: str | None = field(default=None, repr=False)  # never in logs or reprs
    peer_base_url: str | None = None
    registered_at: datetime | None = None
    heartbeat_interval_s: int | None = None
    measurement_configuration: list[str] = field(default_factory=list)
    handshake_sent_at: datetime | None = None
    acknowledged_at: datetime | None = None
    peer_heartbeat_at: datetime | None = None
    peer_offline_mode_at: datetime | None = None

    @property
    def registered(self) -> bool:
        return self.peer_token is not None and self.peer_base_url is not None and self.registered_at is not None


@dataclass(frozen=True)
class Group:
    group_id: str
    location_id: str
    last_measured_at: datetime | None
    last_measured_kwh: float | None


async def load_peer(conn: asyncpg.Connection) -> Peer:
    row = await conn.fetchrow("SELECT * FROM oscp_peer WHERE peer = 'provider'")
    if row is None:
        return Peer()
    return Peer(
        our_token_sha256=row["our_token_sha256"],
        peer_token=row["peer_token"],
        peer_base_url=row["peer_base_url"],
        registered_at=row["registered_at"],
        heartbeat_interval_s=row["heartbeat_interval_s"],
        measurement_configuration=list(orjson.loads(row["measurement_configuration"])),
        handshake_sent_at=row["handshake_sent_at"],
        acknowledged_at=row["acknowledged_at"],
        peer_heartbeat_at=row["peer_heartbeat_at"],
        peer_offline_mode_at=row["peer_offline_mode_at"],
    )


async def save_peer(conn: asyncpg.Connection, peer: Peer) -> None:
    await conn.execute(
        """
        INSERT INTO oscp_peer (peer, our_token_sha256, peer_token, peer_base_url, registered_at, heartbeat_interval_s,
                               measurement_configuration, handshake_sent_at, acknowledged_at, peer_heartbeat_at,
                               peer_offline_mode_at, updated_at)
        VALUES ('provider', $1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, now())
        ON CONFLICT (peer) DO UPDATE SET our_token_sha256 = EXCLUDED.our_token_sha256,
            peer_token = EXCLUDED.peer_token, peer_base_url = EXCLUDED.peer_base_url,
            registered_at = EXCLUDED.registered_at, heartbeat_interval_s = EXCLUDED.heartbeat_interval_s,
            measurement_configuration = EXCLUDED.measurement_configuration,
            handshake_sent_at = EXCLUDED.handshake_sent_at, acknowledged_at = EXCLUDED.acknowledged_at,
            peer_heartbeat_at = EXCLUDED.peer_heartbeat_at, peer_offline_mode_at = EXCLUDED.peer_offline_mode_at,
            updated_at = now()
        """,
        peer.our_token_sha256,
        peer.peer_token,
        peer.peer_base_url,
        peer.registered_at,
        peer.heartbeat_interval_s,
        orjson.dumps(peer.measurement_configuration).decode(),
        peer.handshake_sent_at,
        peer.acknowledged_at,
        peer.peer_heartbeat_at,
        peer.peer_offline_mode_at,
    )


async def sync_groups(conn: asyncpg.Connection, groups: Mapping[str, str]) -> None:
    """Make ``oscp_groups`` what the configuration says (group id -> location id); forecasts of dropped groups go."""
    await conn.execute("DELETE FROM oscp_groups WHERE NOT group_id = ANY($1::text[])", list(groups))
    await conn.executemany(
        "INSERT INTO oscp_groups (group_id, location_id) VALUES ($1, $2) "
        "ON CONFLICT (group_id) DO UPDATE SET location_id = EXCLUDED.location_id",
        list(groups.items()),
    )


async def lock_group(conn: asyncpg.Connection, group_id: str) -> Group | None:
    """The group, locked until the transaction ends (forecasts of one group are merged one at a time)."""
    row = await conn.fetchrow("SELECT * FROM oscp_groups WHERE group_id = $1 FOR UPDATE", group_id)
    return None if row is None else _group(row)


async def groups(conn: asyncpg.Connection) -> list[Group]:
    return [_group(row) for row in await conn.fetch("SELECT * FROM oscp_groups ORDER BY group_id")]


def _group(row: asyncpg.Record) -> Group:
    return Group(row["group_id"], row["location_id"], row["last_measured_at"], row["last_measured_kwh"])


async def forecast_blocks(
    conn: asyncpg.Connection, group_ids: Sequence[str], forecast_type: str
) -> list[ForecastBlock]:
    rows = await conn.fetch(
        "SELECT capacity, unit, phase, start_time, end_time FROM oscp_forecasts "
        "WHERE group_id = ANY($1::text[]) AND type = $2 ORDER BY start_time",
        list(group_ids),
        forecast_type,
    )
    return [ForecastBlock(r["capacity"], r["unit"], r["phase"], r["start_time"], r["end_time"]) for r in rows]


async def replace_forecast(
    conn: asyncpg.Connection, group_id: str, forecast_type: str, blocks: Sequence[ForecastBlock], at: datetime
) -> None:
    await conn.execute("DELETE FROM oscp_forecasts WHERE group_id = $1 AND type = $2", group_id, forecast_type)
    await conn.executemany(
        "INSERT INTO oscp_forecasts (group_id, type, start_time, end_time, capacity, unit, phase, received_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [(group_id, forecast_type, b.start, b.end, b.capacity, b.unit, b.phase, at) for b in blocks],
    )


async def measured(conn: asyncpg.Connection, group_id: str, at: datetime, kwh: float) -> None:
    await conn.execute(
        "UPDATE oscp_groups SET last_measured_at = $2, last_measured_kwh = $3 WHERE group_id = $1", group_id, at, kwh
    )


async def location_energy(conn: asyncpg.Connection, location_id: str) -> list[asyncpg.Record]:
    """Per session of the location: the delivered estimate, since when it is estimated and a pending measurement."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT s.session_id, s.charge_point_id, s.delivered_kwh, s.delivered_until, s.ended_at,
               s.measured_kwh, s.measured_at, s.measured_pending
        FROM sessions s JOIN charge_points c USING (charge_point_id) WHERE c.location_id = $1
        """,
        location_id,
    )
    return rows


async def save_external_plan(conn: asyncpg.Connection, location_id: str, plan: ExternalPlan, at: datetime) -> None:
    await conn.execute(
        """
        INSERT INTO external_plans (location_id, received_at, start, slot_seconds, power_kw)
        VALUES ($1, $2, $3, $4, $5::jsonb)
        ON CONFLICT (location_id) DO UPDATE SET received_at = EXCLUDED.received_at, start = EXCLUDED.start,
            slot_seconds = EXCLUDED.slot_seconds, power_kw = EXCLUDED.power_kw
        """,
        location_id,
        at,
        plan.start,
        plan.slot_seconds,
        orjson.dumps({key: list(row) for key, row in plan.power_kw.items()}).decode(),
    )


async def external_plan(conn: asyncpg.Connection, location_id: str) -> ExternalPlan | None:
    row = await conn.fetchrow("SELECT start, slot_seconds, power_kw FROM external_plans WHERE location_id = $1",
                              location_id)  # fmt: skip
    if row is None:
        return None
    power: dict[str, Any] = orjson.loads(row["power_kw"])
    rows = {key: [float(value) for value in values] for key, values in power.items()}
    return ExternalPlan(row["start"], row["slot_seconds"], rows)

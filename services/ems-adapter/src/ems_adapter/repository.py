"""SQL of the ``ems`` schema, and nothing else (the pool's search_path pins it).

Every function takes the caller's connection, so a use case decides where its transaction begins
and ends, and the outbox row it stages commits with the plan it announces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from ems_adapter.domain.dispatch import Held, Outgoing
from ems_adapter.domain.history import CompletedSession
from ems_adapter.domain.profiles import Unit
from ems_adapter.domain.site import ActiveSession, Measured, Needs
from ladeplan_contracts.commands import ChargingProfile
from ladeplan_contracts.events import ChargePointCreated, LocationCreated, TransactionStarted
from ladeplan_contracts.smart_charging import EvChargingNeedsNotified

# EV needs sent shortly before the transaction started (ISO 15118 negotiates before authorising) count.
NEEDS_BEFORE_START = "15 minutes"


@dataclass(frozen=True)
class Location:
    location_id: str
    timezone: str
    grid_limit_kw: float
    units: dict[str, Unit]  # per charge point


@dataclass(frozen=True)
class PlannedSession:
    session: ActiveSession
    profile_id: int
    delivered_until: datetime
    measured: Measured | None = None
    """A measurement no replan has taken into ``delivered_kwh`` yet."""


async def upsert_location(conn: asyncpg.Connection, event: LocationCreated) -> None:
    await conn.execute(
        """
        INSERT INTO locations (location_id, name, timezone, grid_limit_kw) VALUES ($1, $2, $3, $4)
        ON CONFLICT (location_id) DO UPDATE SET name = EXCLUDED.name, timezone = EXCLUDED.timezone,
            grid_limit_kw = EXCLUDED.grid_limit_kw, updated_at = now()
        """,
        event.location_id,
        event.name,
        event.timezone,
        event.grid_limit_kw,
    )


async def upsert_charge_point(conn: asyncpg.Connection, event: ChargePointCreated) -> None:
    connectors = {str(connector.connector_id): connector.max_power_kw for connector in event.connectors}
    await conn.execute(
        """
        INSERT INTO charge_points (charge_point_id, location_id, connectors) VALUES ($1, $2, $3::jsonb)
        ON CONFLICT (charge_point_id) DO UPDATE SET location_id = EXCLUDED.location_id,
            connectors = EXCLUDED.connectors, updated_at = now()
        """,
        event.charge_point_id,
        event.location_id,
        orjson.dumps(connectors).decode(),
    )


async def location_of(conn: asyncpg.Connection, charge_point_id: str) -> str | None:
    value = await conn.fetchval("SELECT location_id FROM charge_points WHERE charge_point_id = $1", charge_point_id)
    return None if value is None else str(value)


async def insert_session(conn: asyncpg.Connection, started: TransactionStarted) -> bool:
    """Record a started transaction; False when it is known already."""
    inserted = await conn.fetchval(
        """
        INSERT INTO sessions (session_id, charge_point_id, evse_id, connector_id, transaction_ref, started_at,
                              delivered_until)
        VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING RETURNING true
        """,
        started.session_id,
        started.charge_point_id,
        started.evse_id,
        started.connector_id,
        started.transaction_ref,
        started.started_at,
    )
    return bool(inserted)


async def end_session(conn: asyncpg.Connection, charge_point_id: str, transaction_ref: str, ended_at: datetime) -> bool:
    """Close the running session of a transaction; False when none was running."""
    ended = await conn.fetchval(
        "UPDATE sessions SET ended_at = $3 WHERE charge_point_id = $1 AND transaction_ref = $2 AND ended_at IS NULL "
        "RETURNING true",
        charge_point_id,
        transaction_ref,
        ended_at,
    )
    return bool(ended)


async def upsert_needs(conn: asyncpg.Connection, needs: EvChargingNeedsNotified, received_at: datetime) -> None:
    max_kw = needs.max_power_w / 1000 if needs.max_power_w is not None else None
    phases = needs.phases or 3
    if max_kw is None and needs.max_current_a is not None:
        max_kw = needs.max_current_a * phases * 230 / 1000
    min_kw = needs.min_current_a * phases * 230 / 1000 if needs.min_current_a is not None else None
    await conn.execute(
        """
        INSERT INTO charging_needs (charge_point_id, evse_id, received_at, requested_energy_wh, departure_at,
                                    min_power_kw, max_power_kw, phases)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (charge_point_id, evse_id) DO UPDATE SET received_at = EXCLUDED.received_at,
            requested_energy_wh = EXCLUDED.requested_energy_wh, departure_at = EXCLUDED.departure_at,
            min_power_kw = EXCLUDED.min_power_kw, max_power_kw = EXCLUDED.max_power_kw, phases = EXCLUDED.phases
        WHERE charging_needs.received_at <= EXCLUDED.received_at
        """,
        needs.charge_point_id,
        needs.evse_id,
        received_at,
        needs.requested_energy_wh,
        needs.departure_time,
        min_kw,
        max_kw,
        needs.phases,
    )


async def load_location(conn: asyncpg.Connection, location_id: str) -> Location | None:
    row = await conn.fetchrow("SELECT timezone, grid_limit_kw FROM locations WHERE location_id = $1", location_id)
    if row is None:
        return None
    points = await conn.fetch(
        "SELECT charge_point_id, profile_unit FROM charge_points WHERE location_id = $1", location_id
    )
    units: dict[str, Unit] = {p["charge_point_id"]: "W" if p["profile_unit"] == "W" else "A" for p in points}
    return Location(location_id, row["timezone"], row["grid_limit_kw"], units)


async def lock_active_sessions(
    conn: asyncpg.Connection, location_id: str, *, lock: bool = True
) -> list[PlannedSession]:
    """The location's running sessions with their EV needs, locked until the caller's transaction ends.

    ``lock=False`` only reads (the demand API must not wait for, or hold up, a replan).
    """
    rows = await conn.fetch(
        f"""
        SELECT s.*, (c.connectors ->> s.connector_id::text)::double precision AS connector_max_kw,
               n.received_at AS needs_at, n.requested_energy_wh, n.departure_at, n.min_power_kw, n.max_power_kw,
               n.phases
        FROM sessions s
        JOIN charge_points c ON c.charge_point_id = s.charge_point_id
        LEFT JOIN charging_needs n ON n.charge_point_id = s.charge_point_id AND n.evse_id = s.evse_id
             AND n.received_at >= s.started_at - interval '{NEEDS_BEFORE_START}'
        WHERE c.location_id = $1 AND s.ended_at IS NULL
        ORDER BY s.started_at, s.session_id
        {"FOR UPDATE OF s" if lock else ""}
        """,
        location_id,
    )
    return [PlannedSession(_session(row), row["profile_id"], row["delivered_until"], measured_of(row)) for row in rows]


def measured_of(row: asyncpg.Record) -> Measured | None:
    """The session's meter figure not yet folded into its estimate (columns measured_*), if any."""
    if not row["measured_pending"]:
        return None
    return Measured(kwh=row["measured_kwh"], at=row["measured_at"])


def _session(row: asyncpg.Record) -> ActiveSession:
    needs = None
    if row["needs_at"] is not None:
        energy = row["requested_energy_wh"]
        needs = Needs(
            requested_energy_kwh=None if energy is None else energy / 1000,
            departure_at=row["departure_at"],
            min_power_kw=row["min_power_kw"],
            max_power_kw=row["max_power_kw"],
            phases=row["phases"],
        )
    return ActiveSession(
        session_id=row["session_id"],
        charge_point_id=row["charge_point_id"],
        evse_id=row["evse_id"],
        transaction_ref=row["transaction_ref"],
        started_at=row["started_at"],
        delivered_kwh=row["delivered_kwh"],
        connector_max_kw=row["connector_max_kw"],
        needs=needs,
    )


async def set_delivered(conn: asyncpg.Connection, session_id: str, kwh: float, until: datetime) -> None:
    """The session's delivered energy as of ``until``; a pending measurement is taken into it by now."""
    await conn.execute(
        "UPDATE sessions SET delivered_kwh = $2, delivered_until = $3, measured_pending = false WHERE session_id = $1",
        session_id,
        kwh,
        until,
    )


async def store_measured(conn: asyncpg.Connection, session_id: str, kwh: float, at: datetime) -> bool:
    """Keep the newest measurement of a running session; False when it is older or the session unknown/ended.

    The events of one session may arrive out of order (redelivery, a charge point's offline
    backlog): an older measurement never replaces a newer one.
    """
    status = await conn.execute(
        """
        UPDATE sessions SET measured_kwh = $2, measured_at = $3, measured_pending = true
        WHERE session_id = $1 AND ended_at IS NULL AND (measured_at IS NULL OR measured_at <= $3)
        """,
        session_id,
        kwh,
        at,
    )
    return bool(status != "UPDATE 0")


async def latest_plan(conn: asyncpg.Connection, location_id: str) -> dict[str, Any] | None:
    document = await conn.fetchval("SELECT document FROM plans WHERE location_id = $1", location_id)
    return None if document is None else dict(orjson.loads(document))


async def next_plan_id(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT nextval('plan_ids')"))


async def save_plan(conn: asyncpg.Connection, location_id: str, plan_id: int, at: datetime, document: str) -> None:
    await conn.execute(
        """
        INSERT INTO plans (location_id, plan_id, planned_at, document) VALUES ($1, $2, $3, $4::jsonb)
        ON CONFLICT (location_id) DO UPDATE SET plan_id = EXCLUDED.plan_id, planned_at = EXCLUDED.planned_at,
            document = EXCLUDED.document
        """,
        location_id,
        plan_id,
        at,
        document,
    )


async def held_profiles(conn: asyncpg.Connection, charge_point_ids: Sequence[str]) -> Held:
    rows = await conn.fetch(
        "SELECT charge_point_id, evse_id, purpose, profile FROM sent_profiles WHERE charge_point_id = ANY($1::text[])",
        list(charge_point_ids),
    )
    return {
        (row["charge_point_id"], row["evse_id"], row["purpose"]): ChargingProfile.model_validate_json(row["profile"])
        for row in rows
    }


async def record_held(conn: asyncpg.Connection, outgoing: Outgoing, at: datetime) -> None:
    await conn.execute(
        """
        INSERT INTO sent_profiles (charge_point_id, evse_id, purpose, profile, sent_at)
        VALUES ($1, $2, $3, $4::jsonb, $5)
        ON CONFLICT (charge_point_id, evse_id, purpose) DO UPDATE SET profile = EXCLUDED.profile,
            sent_at = EXCLUDED.sent_at
        """,
        outgoing.charge_point_id,
        outgoing.evse_id,
        outgoing.profile.purpose,
        outgoing.profile.model_dump_json(),
        at,
    )


async def locations_with_sessions(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT c.location_id FROM sessions s JOIN charge_points c USING (charge_point_id) "
        "WHERE s.ended_at IS NULL ORDER BY 1"
    )
    return [row["location_id"] for row in rows]


async def timezone_if_charging(conn: asyncpg.Connection, location_id: str) -> str | None:
    """The location's timezone when it is known and has a running session, else None."""
    value = await conn.fetchval(
        """
        SELECT l.timezone FROM locations l
        WHERE l.location_id = $1 AND EXISTS (
            SELECT 1 FROM sessions s JOIN charge_points c USING (charge_point_id)
            WHERE c.location_id = $1 AND s.ended_at IS NULL)
        """,
        location_id,
    )
    return None if value is None else str(value)


async def completed_sessions(
    conn: asyncpg.Connection, location_id: str, since: datetime
) -> tuple[list[asyncpg.Record], datetime | None]:
    """The location's sessions that started from ``since`` on and have ended, and the first start seen there.

    Read only. Rows, not ``CompletedSession``s: a month of a large site is many thousand rows, and
    the caller converts them (``completed``) off the event loop. An EV's needs are kept only as the
    latest per EVSE, so a session has its requested energy and declared departure only while no
    later session at its EVSE sent needs.
    """
    rows = await conn.fetch(
        f"""
        SELECT s.started_at, s.ended_at, s.delivered_kwh,
               (c.connectors ->> s.connector_id::text)::double precision AS connector_max_kw,
               n.requested_energy_wh, n.departure_at, n.max_power_kw
        FROM sessions s
        JOIN charge_points c ON c.charge_point_id = s.charge_point_id
        LEFT JOIN charging_needs n ON n.charge_point_id = s.charge_point_id AND n.evse_id = s.evse_id
             AND n.received_at >= s.started_at - interval '{NEEDS_BEFORE_START}' AND n.received_at <= s.ended_at
        WHERE c.location_id = $1 AND s.ended_at IS NOT NULL AND s.started_at >= $2
        """,
        location_id,
        since,
    )
    first = await conn.fetchval(
        "SELECT min(s.started_at) FROM sessions s JOIN charge_points c USING (charge_point_id) "
        "WHERE c.location_id = $1",
        location_id,
    )
    return list(rows), first


def completed(rows: Sequence[asyncpg.Record]) -> list[CompletedSession]:
    """``completed_sessions``' rows as the domain takes them."""
    return [
        CompletedSession(
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            delivered_kwh=row["delivered_kwh"],
            connector_max_kw=row["connector_max_kw"],
            requested_energy_kwh=None if row["requested_energy_wh"] is None else row["requested_energy_wh"] / 1000,
            declared_departure_at=row["departure_at"],
            ev_max_power_kw=row["max_power_kw"],
        )
        for row in rows
    ]

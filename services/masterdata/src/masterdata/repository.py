"""SQL for the ``masterdata`` schema only; unqualified names resolve there through the pool's search_path.

Uniqueness and references are left to the database's constraints (no check-then-insert race) and
their violations are translated into domain errors here, inside the caller's transaction.
"""

from __future__ import annotations

from typing import TypeAlias, cast

import asyncpg

from masterdata.domain.errors import Duplicate, NotFound, UnknownReference
from masterdata.domain.model import ChargePoint, Connector, Location, Token, TokenStatus, TokenType, User

Executor: TypeAlias = "asyncpg.Connection | asyncpg.Pool"
"""A connection (inside a transaction) or the pool (single reads): both run queries alike."""

_SELECT_LOCATIONS = "SELECT id::text, name, timezone, grid_limit_kw, created_at FROM locations"
_SELECT_USERS = "SELECT id::text, email, name, created_at FROM users"
_SELECT_TOKENS = "SELECT uid, type, user_id::text, status, created_at, updated_at FROM tokens"
_SELECT_CHARGE_POINTS = """
SELECT cp.id, cp.location_id::text, cp.created_at,
       coalesce(array_agg(c.connector_id ORDER BY c.connector_id)
                FILTER (WHERE c.connector_id IS NOT NULL), '{}') AS connector_ids,
       coalesce(array_agg(c.max_power_kw ORDER BY c.connector_id)
                FILTER (WHERE c.connector_id IS NOT NULL), '{}') AS max_powers
FROM charge_points cp LEFT JOIN connectors c ON c.charge_point_id = cp.id
"""


def _location(row: asyncpg.Record) -> Location:
    return Location(row["id"], row["name"], row["timezone"], row["grid_limit_kw"], row["created_at"])


def _user(row: asyncpg.Record) -> User:
    return User(row["id"], row["email"], row["name"], row["created_at"])


def _token(row: asyncpg.Record) -> Token:
    return Token(
        uid=row["uid"],
        type=cast(TokenType, row["type"]),
        user_id=row["user_id"],
        status=cast(TokenStatus, row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _charge_point(row: asyncpg.Record) -> ChargePoint:
    connectors = tuple(
        Connector(cid, power) for cid, power in zip(row["connector_ids"], row["max_powers"], strict=True)
    )
    return ChargePoint(row["id"], row["location_id"], connectors, row["created_at"])


# --- locations -------------------------------------------------------------------------------------


async def insert_location(conn: Executor, location_id: str, name: str, timezone: str, grid_limit_kw: float) -> Location:
    row = await conn.fetchrow(
        "INSERT INTO locations (id, name, timezone, grid_limit_kw) VALUES ($1, $2, $3, $4) "
        "RETURNING id::text, name, timezone, grid_limit_kw, created_at",
        location_id,
        name,
        timezone,
        grid_limit_kw,
    )
    return _location(row)


async def get_location(conn: Executor, location_id: str) -> Location | None:
    row = await conn.fetchrow(f"{_SELECT_LOCATIONS} WHERE id = $1", location_id)
    return None if row is None else _location(row)


async def list_locations(conn: Executor, limit: int, offset: int) -> list[Location]:
    rows = await conn.fetch(f"{_SELECT_LOCATIONS} ORDER BY created_at, id LIMIT $1 OFFSET $2", limit, offset)
    return [_location(row) for row in rows]


# --- charge points ---------------------------------------------------------------------------------


async def insert_charge_point(
    conn: Executor, charge_point_id: str, location_id: str, password_hash: str, connectors: list[Connector]
) -> ChargePoint:
    """Insert a charge point with its connectors; call inside a transaction."""
    try:
        row = await conn.fetchrow(
            "INSERT INTO charge_points (id, location_id, password_hash) VALUES ($1, $2, $3) RETURNING created_at",
            charge_point_id,
            location_id,
            password_hash,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Duplicate(f"charge point {charge_point_id!r} exists already") from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise UnknownReference("location_id", "unknown location") from exc
    await conn.execute(
        "INSERT INTO connectors (charge_point_id, connector_id, max_power_kw) "
        "SELECT $1, * FROM unnest($2::integer[], $3::double precision[])",
        charge_point_id,
        [c.connector_id for c in connectors],
        [c.max_power_kw for c in connectors],
    )
    return ChargePoint(charge_point_id, location_id, tuple(connectors), row["created_at"])


async def get_charge_point(conn: Executor, charge_point_id: str) -> ChargePoint | None:
    row = await conn.fetchrow(f"{_SELECT_CHARGE_POINTS} WHERE cp.id = $1 GROUP BY cp.id", charge_point_id)
    return None if row is None else _charge_point(row)


async def list_charge_points(conn: Executor, limit: int, offset: int) -> list[ChargePoint]:
    rows = await conn.fetch(
        f"{_SELECT_CHARGE_POINTS} GROUP BY cp.id ORDER BY cp.created_at, cp.id LIMIT $1 OFFSET $2", limit, offset
    )
    return [_charge_point(row) for row in rows]


async def get_credentials(conn: Executor, charge_point_id: str) -> tuple[str, str] | None:
    """``(password_hash, location_id)`` of a charge point, or None when the id is unknown."""
    row = await conn.fetchrow(
        "SELECT password_hash, location_id::text FROM charge_points WHERE id = $1", charge_point_id
    )
    return None if row is None else (row["password_hash"], row["location_id"])


async def replace_password_hash(conn: Executor, charge_point_id: str, old_hash: str, new_hash: str) -> None:
    # Only if unchanged meanwhile: a rehash must never overwrite a password set in between.
    await conn.execute(
        "UPDATE charge_points SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
        charge_point_id,
        old_hash,
        new_hash,
    )


# --- users and tokens ------------------------------------------------------------------------------


async def insert_user(conn: Executor, user_id: str, email: str, name: str) -> User:
    try:
        row = await conn.fetchrow(
            "INSERT INTO users (id, email, name) VALUES ($1, $2, $3) RETURNING id::text, email, name, created_at",
            user_id,
            email,
            name,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Duplicate("a user with this email exists already") from exc
    return _user(row)


async def get_user(conn: Executor, user_id: str) -> User | None:
    row = await conn.fetchrow(f"{_SELECT_USERS} WHERE id = $1", user_id)
    return None if row is None else _user(row)


async def list_users(conn: Executor, limit: int, offset: int) -> list[User]:
    rows = await conn.fetch(f"{_SELECT_USERS} ORDER BY created_at, id LIMIT $1 OFFSET $2", limit, offset)
    return [_user(row) for row in rows]


async def insert_token(conn: Executor, uid: str, token_type: TokenType, user_id: str, status: TokenStatus) -> Token:
    try:
        row = await conn.fetchrow(
            "INSERT INTO tokens (uid, type, user_id, status) VALUES ($1, $2, $3, $4) "
            "RETURNING uid, type, user_id::text, status, created_at, updated_at",
            uid,
            token_type,
            user_id,
            status,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Duplicate(f"token {uid!r} exists already (token uids are compared case-insensitively)") from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise NotFound("user", user_id) from exc
    return _token(row)


async def get_token(conn: Executor, uid: str, *, for_update: bool = False) -> Token | None:
    # lower(uid) matches the unique index: OCPP id tokens are case-insensitive.
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"{_SELECT_TOKENS} WHERE lower(uid) = lower($1){lock}", uid)
    return None if row is None else _token(row)


async def list_tokens(conn: Executor, user_id: str) -> list[Token]:
    rows = await conn.fetch(f"{_SELECT_TOKENS} WHERE user_id = $1 ORDER BY created_at, uid", user_id)
    return [_token(row) for row in rows]


async def set_token_status(conn: Executor, uid: str, status: TokenStatus) -> Token:
    row = await conn.fetchrow(
        "UPDATE tokens SET status = $2, updated_at = now() WHERE uid = $1 "
        "RETURNING uid, type, user_id::text, status, created_at, updated_at",
        uid,
        status,
    )
    return _token(row)

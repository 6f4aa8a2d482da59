"""Migration 0002 on a database holding copies stored before it: the first copy stays, the index is built."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import asyncpg
import pytest
from alembic import command

from ladeplan.sandbox import temporary_database
from ladeplan_platform.migrations import alembic_config, upgrade
from session_manager.config import MIGRATIONS, SCHEMA

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def database(postgres_server_url: str) -> Iterator[str]:
    with temporary_database(postgres_server_url, prefix="ladeplan_sessions_migration") as url:
        yield url


async def sql(url: str, statement: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url, server_settings={"search_path": SCHEMA})
    try:
        return await conn.fetch(statement, *args)
    finally:
        await conn.close()


INSERT = """
    INSERT INTO meter_values (unknown_transaction, charge_point_id, evse_id, connector_id, transaction_ref, sampled_at,
        value, measurand, unit, phase, ocpp_message_id, message_id)
    SELECT true, 'CP-1', 1, 1, ref, $1, value, 'Energy.Active.Import.Register', 'kWh', phase, ocpp_id, gen_random_uuid()
    FROM (VALUES ('7', '12.5', NULL, 'a'),    -- a reading...
                 ('7', '12.5', NULL, 'b'),    -- ...and its retry under a new OCPP message id
                 ('7', '12.5', 'L1', 'a'),    -- another phase: another reading
                 (NULL, '3.0', NULL, 'c'),    -- without a transaction...
                 (NULL, '3.0', NULL, 'c'),    -- ...and its retry with the same id
                 ('7', '12.6', NULL, 'd')) AS v(ref, value, phase, ocpp_id)
"""


def test_0002_keeps_the_first_copy_of_each_reading_and_refuses_new_copies(database: str) -> None:
    upgrade(MIGRATIONS, database, "0001")
    asyncio.run(sql(database, INSERT, AT))

    upgrade(MIGRATIONS, database)

    rows = asyncio.run(sql(database, "SELECT value, phase, ocpp_message_id FROM meter_values ORDER BY id"))
    assert [tuple(row) for row in rows] == [
        ("12.5", None, "a"),
        ("12.5", "L1", "a"),
        ("3.0", None, "c"),
        ("12.6", None, "d"),
    ]
    with pytest.raises(asyncpg.UniqueViolationError):
        asyncio.run(sql(database, INSERT, AT))


def test_0002_downgrades_to_0001(database: str) -> None:
    upgrade(MIGRATIONS, database)

    command.downgrade(alembic_config(MIGRATIONS, database), "0001")

    asyncio.run(sql(database, INSERT, AT))  # copies are accepted again without the index
    assert asyncio.run(sql(database, "SELECT count(*) FROM meter_values"))[0][0] == 6

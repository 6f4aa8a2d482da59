"""``ladeplan receipts verify-chain`` on a database of its own: concurrent appends, then tampering."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from ladeplan.cli import main
from ladeplan.sandbox import temporary_database
from ladeplan_platform.migrations import upgrade
from receipts.config import MIGRATIONS, SCHEMA
from receipts.repository.records import RecordDraft, append_records

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def chain_database(postgres_server_url: str) -> Iterator[str]:
    """Only the receipts schema, so that the records here are all there is and tampering harms no other test."""
    with temporary_database(postgres_server_url, prefix="ladeplan_receipts_chain") as url:
        upgrade(MIGRATIONS, url)
        yield url


def draft(n: int) -> RecordDraft:
    now = datetime.now(UTC)
    return RecordDraft(
        charge_point_id=f"CP-{n % 3}",
        evse_id=1,
        transaction_ref=str(n),
        session_id=uuid.uuid4() if n % 2 else None,
        context="Transaction.Begin",
        measurand="Energy.Active.Import.Register",
        sampled_at=now,
        signed_meter_data=f'OCMF|{{"PG":"T{n}","RD":[{{"RV":1.{n:03d}}}]}}|{{"SD":"30"}}',
        signing_method=None,
        encoding_method=None,
        public_key="ü-key",
        source_type="transaction.meter_values",
        source_message_id=str(uuid.uuid4()),
        sample_index=0,
        ocpp_message_id=f"m{n}",
        source_occurred_at=now,
        received_at=now,
        retain_until=now + timedelta(days=4018),
    )


async def append_concurrently(url: str, writers: int, each: int) -> None:
    pool = await asyncpg.create_pool(url, min_size=writers, max_size=writers, server_settings={"search_path": SCHEMA})
    assert pool is not None

    async def writer(w: int) -> None:
        for i in range(each):
            async with pool.acquire() as conn, conn.transaction():
                await append_records(conn, [draft(w * 100 + i), draft(w * 100 + i + 50)])

    try:
        await asyncio.gather(*(writer(w) for w in range(writers)))
    finally:
        await pool.close()


def verify_chain(monkeypatch, capsys, url: str) -> tuple[int, dict]:
    monkeypatch.setenv("DATABASE_URL", url)
    code = main(["receipts", "verify-chain"])
    return code, json.loads(capsys.readouterr().out)


async def superuser(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url, server_settings={"search_path": SCHEMA})
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def test_concurrent_appends_keep_one_unbroken_chain_and_tampering_is_found(chain_database, monkeypatch, capsys):
    code, report = verify_chain(monkeypatch, capsys, chain_database)
    assert (code, report) == (0, {"valid": True, "records": 0, "head": "0" * 64})

    asyncio.run(append_concurrently(chain_database, writers=4, each=5))
    code, report = verify_chain(monkeypatch, capsys, chain_database)
    assert (code, report["valid"], report["records"]) == (0, True, 40)
    assert len(report["head"]) == 64

    # Someone with the rights to drop the trigger changes one stored value.
    asyncio.run(
        superuser(
            chain_database,
            "ALTER TABLE signed_records DISABLE TRIGGER signed_records_append_only",
            "UPDATE signed_records SET signed_meter_data = replace(signed_meter_data, 'RV\":1.', 'RV\":2.') "
            "WHERE id = (SELECT id FROM signed_records ORDER BY id OFFSET 12 LIMIT 1)",
            "ALTER TABLE signed_records ENABLE TRIGGER signed_records_append_only",
        )
    )
    code, report = verify_chain(monkeypatch, capsys, chain_database)
    assert (code, report["valid"], report["records"]) == (1, False, 13)
    assert report["first_bad_id"] is not None
    assert "do not match its record_hash" in report["reason"]


def test_an_unreachable_database_is_exit_code_2(monkeypatch, capsys):
    code, report = verify_chain(monkeypatch, capsys, "postgresql://postgres@127.0.0.1:1/ladeplan")
    assert code == 2
    assert report["valid"] is False
    assert report["reason"].startswith("cannot read the signed records")


def test_unknown_receipts_commands_print_the_usage(capsys):
    assert main(["receipts", "frobnicate"]) == 2
    assert "verify-chain" in capsys.readouterr().err

"""A charge point's retried CALL adds nothing to the chain and issues no new receipt version.

The gateway publishes a retried CALL in a new bus message, under the charge point's OCPP message id
or a new one; capture finds the signed value in the chain and leaves it out before appending.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from receipts.config import SCHEMA
from receipts.repository.records import RecordDraft, append_records
from receipts.use_cases.chain import verify_chain

pytestmark = pytest.mark.integration


async def records_of(db, charge_point_id):
    return await db.fetch("SELECT * FROM signed_records WHERE charge_point_id = $1 ORDER BY id", charge_point_id)


async def processed(db, eventually, message_id):
    await eventually(lambda: db.fetchval("SELECT true FROM inbox WHERE message_id = $1", message_id))


def renumbered(call):
    return call.model_copy(update={"ocpp_message_id": uuid.uuid4().hex})


async def test_retried_calls_store_each_signed_value_once_and_keep_the_receipt(
    session, meter, publish, receipt_of, db, eventually
):
    begin = session.signed_201(meter, meter.begin(10_000, token=session.token), 10_000, "Transaction.Begin")
    end = session.signed_201(meter, meter.end(17_250, token=session.token), 17_250, "Transaction.End")
    begin_call, end_call = session.values(begin), session.ended(end)
    await publish(session.started())
    first = await publish(begin_call)
    await publish(begin_call)  # the same CALL again, in a new bus message
    await publish(renumbered(begin_call))  # a charge point that numbers its retry anew
    await publish(end_call)
    await publish(session.completed())
    receipt = await receipt_of(session.session_id)

    late = [await publish(begin_call), await publish(renumbered(end_call))]  # retried after the receipt
    for message_id in late:
        await processed(db, eventually, message_id)

    rows = await records_of(db, session.charge_point_id)
    assert [(row["context"], row["source_message_id"]) for row in rows] == [
        ("Transaction.Begin", first),
        ("Transaction.End", rows[1]["source_message_id"]),
    ]
    assert (receipt["status"], receipt["version"], [r["id"] for r in receipt["records"]]) == (
        "verified",
        1,
        [row["id"] for row in rows],
    )
    assert (
        await db.fetchval("SELECT max(version) FROM receipts WHERE session_id = $1", uuid.UUID(session.session_id)) == 1
    )
    async with db.acquire() as conn:
        assert (await verify_chain(conn)).valid


async def test_retried_values_without_a_transaction_are_stored_once(session, meter, publish, db, eventually):
    value = session.signed_16(meter.record("C", 500, token=None), "Sample.Clock")
    call = session.values(value).model_copy(update={"transaction_ref": None})
    for copy in (call, call, renumbered(call)):
        last = await publish(copy)
    await processed(db, eventually, last)

    assert [row["signed_meter_data"] for row in await records_of(db, session.charge_point_id)] == [
        value.signed.signed_meter_data
    ]


async def test_the_same_value_sent_again_at_another_time_is_kept(session, meter, publish, db, eventually):
    """Only a retry repeats the sample time too; the same data sampled anew is another arrival, kept as such."""
    value = session.signed_16(meter.begin(100, token=session.token), "Transaction.Begin")
    await publish(session.values(value))
    later = await publish(session.values(value))  # session.values stamps the current time
    await processed(db, eventually, later)

    assert len(await records_of(db, session.charge_point_id)) == 2


async def test_copies_appended_at_the_same_moment_are_stored_once(session, meter, db, settings):
    """The chain lock serialises appends, so checking before appending cannot race."""
    value = session.signed_16(meter.begin(100, token=session.token), "Transaction.Begin")
    sampled_at = session.started_at

    def draft(index: int) -> RecordDraft:
        return RecordDraft(
            charge_point_id=session.charge_point_id,
            evse_id=1,
            transaction_ref=session.transaction_ref,
            session_id=None,
            context=value.context,
            measurand=value.measurand,
            sampled_at=sampled_at,
            signed_meter_data=value.signed.signed_meter_data,
            signing_method=None,
            encoding_method=None,
            public_key=None,
            source_type="transaction.meter_values",
            source_message_id=str(uuid.uuid4()),
            sample_index=0,
            ocpp_message_id=f"retry-{index}",
            source_occurred_at=sampled_at,
            received_at=sampled_at,
            retain_until=sampled_at,
        )

    pool = await asyncpg.create_pool(
        settings.database_url, min_size=4, max_size=4, server_settings={"search_path": SCHEMA}
    )

    async def append(index: int) -> int:
        async with pool.acquire() as conn, conn.transaction():
            return len(await append_records(conn, [draft(index), draft(index)]))

    try:
        stored = await asyncio.gather(*(append(i) for i in range(4)))
    finally:
        await pool.close()

    assert sorted(stored) == [0, 0, 0, 1]
    assert len(await records_of(db, session.charge_point_id)) == 1

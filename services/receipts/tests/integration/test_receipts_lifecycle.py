"""From signed values on the bus to stored records, a receipt and ``receipt.issued``, in every order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.integration


async def stored_records(db, session):
    return await db.fetch(
        "SELECT * FROM signed_records WHERE charge_point_id = $1 ORDER BY id", session.charge_point_id
    )


async def test_a_signed_201_session_is_captured_verified_and_announced(
    session, meter, publish, receipt_of, issued, db, client, auth
):
    begin, end = meter.begin(10_000, token=session.token), meter.end(17_250, token=session.token)
    begin_value = session.signed_201(meter, begin, 10_000, "Transaction.Begin")
    end_value = session.signed_201(meter, end, 17_250, "Transaction.End", with_key=False)
    await publish(session.started())
    begin_message = await publish(session.values(begin_value))
    await publish(session.ended(end_value))
    await publish(session.completed())

    receipt = await receipt_of(session.session_id)
    assert (receipt["status"], receipt["reason"], receipt["billable"], receipt["version"]) == (
        "verified", None, True, 1,
    )  # fmt: skip
    assert receipt["measured_energy"] == {"value": "7.250", "unit": "kWh"}
    assert (receipt["begin"]["value"], receipt["end"]["value"]) == ("10.000", "17.250")
    assert receipt["public_key"] == {"value": meter.public_key_base64, "encoding": "base64", "source": "signed_value"}
    assert (receipt["token_uid"], receipt["energy_wh"], receipt["issued_for"]) == (
        session.token,
        7_250,
        "session.completed",
    )

    rows = await stored_records(db, session)
    assert [row["signed_meter_data"] for row in rows] == [
        begin_value.signed.signed_meter_data,
        end_value.signed.signed_meter_data,
    ]
    assert [(row["context"], row["session_id"], row["evse_id"]) for row in rows] == [
        ("Transaction.Begin", uuid.UUID(session.session_id), 1),
        ("Transaction.End", uuid.UUID(session.session_id), 1),
    ]
    assert (rows[0]["source_message_id"], rows[0]["public_key"], rows[1]["public_key"]) == (
        begin_message, meter.public_key_base64, "",
    )  # fmt: skip
    assert [r["id"] for r in receipt["records"]] == [row["id"] for row in rows]

    event = await issued.wait_for("receipt.issued", session_id=session.session_id)
    assert {k: event["data"][k] for k in ("status", "billable", "version", "measured_energy", "reason")} == {
        "status": "verified", "billable": True, "version": 1, "measured_energy": "7.250", "reason": None,
    }  # fmt: skip
    keys = await (await client.get(f"/api/v1/charge-points/{session.charge_point_id}/meter-keys", headers=auth)).json()
    assert [(k["evse_id"], k["public_key"], k["source"]) for k in keys["items"]] == [
        (1, meter.public_key_base64, "signed_value")
    ]


async def test_a_signed_16_session_is_verified_with_the_operators_key(
    session, meter, publish, receipt_of, client, auth
):
    put = await client.put(
        f"/api/v1/charge-points/{session.charge_point_id}/meter-keys/0",
        json={"public_key": meter.public_key_hex},
        headers=auth,
    )
    assert put.status == 200, await put.text()
    assert (await put.json())["encoding"] == "hex"
    begin, end = meter.begin(2_000, token=session.token), meter.end(3_500, token=session.token)
    await publish(session.started())
    await publish(session.values(session.signed_16(begin, "Transaction.Begin")))
    await publish(session.ended(session.signed_16(end, "Transaction.End")))
    await publish(session.completed())

    receipt = await receipt_of(session.session_id)
    assert (receipt["status"], receipt["billable"]) == ("verified", True)
    assert receipt["public_key"]["source"] == "operator_api"
    assert receipt["notes"] == []
    assert [r["signed_meter_data"] for r in receipt["records"]] == [begin, end]


async def test_the_receipt_waits_for_the_end_when_the_completion_comes_first(
    session, meter, publish, receipt_of, client, auth, eventually, db
):
    begin, end = meter.begin(100, token=session.token), meter.end(900, token=session.token)
    await publish(session.values(session.signed_201(meter, begin, 100, "Transaction.Begin")))
    await publish(session.completed())
    await eventually(
        lambda: db.fetchval("SELECT completed FROM sessions WHERE session_id = $1", uuid.UUID(session.session_id))
    )
    assert (await client.get(f"/api/v1/receipts/{session.session_id}", headers=auth)).status == 404

    await publish(session.ended(session.signed_201(meter, end, 900, "Transaction.End")))
    receipt = await receipt_of(session.session_id)
    assert (receipt["status"], receipt["version"], len(receipt["records"])) == ("verified", 1, 2)


async def test_values_that_came_before_the_start_event_belong_to_the_session(session, meter, publish, receipt_of, db):
    begin, end = meter.begin(100, token=session.token), meter.end(900, token=session.token)
    await publish(session.values(session.signed_201(meter, begin, 100, "Transaction.Begin")))
    await publish(session.ended(session.signed_201(meter, end, 900, "Transaction.End")))
    await publish(session.completed())

    receipt = await receipt_of(session.session_id)
    assert receipt["status"] == "verified"
    # No session was known when the begin arrived; the transaction reference ties it to the session.
    assert (await stored_records(db, session))[0]["session_id"] is None
    assert len(receipt["records"]) == 2


async def test_a_tampered_end_is_invalid_not_billable_and_still_kept(session, meter, publish, receipt_of, issued, db):
    begin, end = meter.begin(2_000, token=session.token), meter.end(3_500, token=session.token)
    tampered = end.replace('"RV":3.500', '"RV":3.900')
    assert tampered != end
    await publish(session.values(session.signed_201(meter, begin, 2_000, "Transaction.Begin")))
    await publish(session.ended(session.signed_16(tampered, "Transaction.End")))
    await publish(session.completed())

    receipt = await receipt_of(session.session_id)
    assert (receipt["status"], receipt["billable"]) == ("invalid", False)
    assert receipt["reason"] == "record 2 (T2): the signature does not match the payload and key"
    assert [row["signed_meter_data"] for row in await stored_records(db, session)][1] == tampered
    event = await issued.wait_for("receipt.issued", session_id=session.session_id)
    assert (event["data"]["status"], event["data"]["billable"]) == ("invalid", False)


async def test_a_session_without_signed_values_is_unsigned(session, publish, receipt_of, client, auth):
    await publish(session.started())
    await publish(session.ended())
    await publish(session.completed())

    receipt = await receipt_of(session.session_id)
    assert (receipt["status"], receipt["billable"], receipt["records"]) == ("unsigned", False, [])
    response = await client.get(f"/api/v1/receipts/{session.session_id}.xml", headers=auth)
    assert response.status == 409
    assert (await response.json())["error"] == "no_signed_data"


async def test_a_late_value_issues_a_new_version_and_the_old_one_stays(
    session, meter, publish, receipt_of, client, auth
):
    begin = meter.begin(100, token=session.token)
    await publish(session.values(session.signed_201(meter, begin, 100, "Transaction.Begin")))
    await publish(session.ended())
    await publish(session.completed())
    first = await receipt_of(session.session_id)
    assert (first["status"], first["version"]) == ("invalid", 1)
    assert "incomplete" in first["reason"]

    end = meter.end(900, token=session.token)
    await publish(session.values(session.signed_201(meter, end, 900, "Transaction.End")))
    second = await receipt_of(session.session_id, version=2)
    assert (second["status"], second["issued_for"], second["versions"]) == ("verified", "late_values", [1, 2])
    old = await client.get(f"/api/v1/receipts/{session.session_id}", params={"version": "1"}, headers=auth)
    assert (await old.json())["status"] == "invalid"


async def test_configuring_the_key_and_asking_again_issues_a_verified_version(
    session, meter, publish, receipt_of, client, auth
):
    begin, end = meter.begin(100, token=session.token), meter.end(900, token=session.token)
    await publish(session.values(session.signed_16(begin, "Transaction.Begin")))
    await publish(session.ended(session.signed_16(end, "Transaction.End")))
    await publish(session.completed())
    first = await receipt_of(session.session_id)
    assert first["status"] == "invalid"
    assert "no public key is known" in first["reason"]

    url = f"/api/v1/charge-points/{session.charge_point_id}/meter-keys/{session.evse_id}"
    assert (await client.put(url, json={"public_key": meter.public_key_base64}, headers=auth)).status == 200
    response = await client.post(f"/api/v1/receipts/{session.session_id}/reissue", headers=auth)
    assert response.status == 201, await response.text()
    second = await response.json()
    assert (second["version"], second["status"], second["issued_for"]) == (2, "verified", "operator_request")
    assert second["public_key"] == {"value": meter.public_key_base64, "encoding": "base64", "source": "operator_api"}


async def test_a_redelivered_message_is_stored_once(session, meter, publish, eventually, db):
    value = session.signed_201(meter, meter.begin(100, token=session.token), 100, "Transaction.Begin")
    message_id = str(uuid.uuid4())
    report = session.values(value)
    await publish(report, message_id=message_id)
    await publish(report, message_id=message_id)
    await publish(session.values(value))  # the same data sampled at another time: kept, as received

    rows = await eventually(lambda: _at_least(db, session, 2))
    assert [row["source_message_id"] for row in rows].count(message_id) == 1


async def _at_least(db, session, count):
    rows = await stored_records(db, session)
    return rows if len(rows) >= count else None


async def test_values_with_a_time_without_offset_are_kept_as_utc(session, meter, publish, eventually, db):
    """OCPP times are UTC; a charge point omitting the offset must not lose its signed value."""
    report = session.values(session.signed_201(meter, meter.begin(100, token=session.token), 100, "Transaction.Begin"))
    without_offset = report.meter_values[0].model_copy(update={"timestamp": datetime(2026, 1, 2, 3, 4, 5)})
    naive = report.model_copy(update={"meter_values": [without_offset]})
    await publish(naive)

    [row] = await eventually(lambda: _at_least(db, session, 1))
    assert row["sampled_at"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

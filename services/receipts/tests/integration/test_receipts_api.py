"""The operator API: receipts, the two exports, meter keys, errors; and what the database refuses."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import asyncpg
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
async def verified(session, meter, publish, receipt_of):
    """A completed, verified 2.0.1 session (key sent with the begin value only)."""
    session.transaction_ref = f"tx-{uuid.uuid4().hex[:8]}"
    begin, end = meter.begin(10_000, token=session.token), meter.end(17_250, token=session.token)
    values = [
        session.signed_201(meter, begin, 10_000, "Transaction.Begin"),
        session.signed_201(meter, end, 17_250, "Transaction.End", with_key=False),
    ]
    await publish(session.started())
    await publish(session.values(values[0]))
    await publish(session.ended(values[1]))
    await publish(session.completed())
    return session, values, await receipt_of(session.session_id)


async def test_the_api_needs_an_operator_key_but_openapi_and_health_do_not(client):
    assert (await client.get("/api/v1/receipts")).status == 401
    openapi = await (await client.get("/api/v1/openapi.json")).json()
    assert {
        "/api/v1/receipts",
        "/api/v1/receipts/{session_id}",
        "/api/v1/receipts/{session_id}.xml",
        "/api/v1/receipts/{session_id}.ocmf.json",
        "/api/v1/receipts/{session_id}/reissue",
        "/api/v1/charge-points/{charge_point_id}/meter-keys/{evse_id}",
    } <= set(openapi["paths"])
    health = await client.get("/health")
    assert (health.status, (await health.json())["checks"]) == (200, {"database": "ok", "bus": "ok"})


async def test_the_xml_export_is_the_transparenzsoftware_container_with_the_exact_data(verified, meter, client, auth):
    session, values, receipt = verified
    response = await client.get(f"/api/v1/receipts/{session.session_id}.xml", headers=auth)
    assert response.status == 200
    assert response.content_type == "application/xml"
    text = await response.text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<values>')
    found = [
        (v.get("transactionId"), v.get("context"), v.find("signedData").attrib, v.find("signedData").text)
        for v in ET.fromstring(text).findall("value")
    ]
    transaction_id = str(receipt["transaction_id"])
    assert found == [
        (transaction_id, context, {"format": "OCMF", "encoding": "base64"}, value.signed.signed_meter_data)
        for context, value in zip(("Transaction.Begin", "Transaction.End"), values, strict=True)
    ]
    assert {key.text for key in ET.fromstring(text).iter("publicKey")} == {meter.public_key_base64}
    for value in values:
        assert value.signed.signed_meter_data in text


async def test_the_json_export_carries_the_same_data_and_the_verdict(verified, meter, client, auth):
    session, values, receipt = verified
    export = await (await client.get(f"/api/v1/receipts/{session.session_id}.ocmf.json", headers=auth)).json()
    assert (export["status"], export["billable"], export["transaction_id"]) == (
        "verified",
        True,
        receipt["transaction_id"],
    )
    assert [(v["context"], v["format"], v["encoding"], v["signed_data"]) for v in export["signed_values"]] == [
        ("Transaction.Begin", "OCMF", "base64", values[0].signed.signed_meter_data),
        ("Transaction.End", "OCMF", "base64", values[1].signed.signed_meter_data),
    ]
    assert export["public_key"]["value"] == meter.public_key_base64
    assert receipt["begin"]["register"] == "1-b:1.8.0"


async def test_receipts_are_listed_by_charge_point_and_status(verified, client, auth):
    session, _, receipt = verified
    response = await client.get("/api/v1/receipts", params={"charge_point_id": session.charge_point_id}, headers=auth)
    assert [item["receipt_id"] for item in (await response.json())["items"]] == [receipt["receipt_id"]]
    invalid = await client.get(
        "/api/v1/receipts", params={"charge_point_id": session.charge_point_id, "status": "invalid"}, headers=auth
    )
    assert (await invalid.json())["items"] == []
    assert (await client.get("/api/v1/receipts", params={"status": "maybe"}, headers=auth)).status == 422


@pytest.mark.parametrize("suffix", ["", ".xml", ".ocmf.json"])
async def test_unknown_and_malformed_sessions_have_no_receipt(client, auth, suffix):
    for session_id in (uuid.uuid4(), "not-a-uuid"):
        response = await client.get(f"/api/v1/receipts/{session_id}{suffix}", headers=auth)
        assert response.status == 404
        assert (await response.json())["error"] == "receipt_not_found"


async def test_an_unknown_version_is_not_found_and_a_bad_one_invalid(verified, client, auth):
    session, _, _ = verified
    url = f"/api/v1/receipts/{session.session_id}"
    assert (await client.get(url, params={"version": "2"}, headers=auth)).status == 404
    assert (await client.get(url, params={"version": "zero"}, headers=auth)).status == 422


async def test_reissue_needs_a_completed_session(session, publish, client, auth, eventually, db):
    assert (await client.post(f"/api/v1/receipts/{uuid.uuid4()}/reissue", headers=auth)).status == 404
    await publish(session.started())
    await eventually(
        lambda: db.fetchval("SELECT true FROM sessions WHERE session_id = $1", uuid.UUID(session.session_id))
    )
    response = await client.post(f"/api/v1/receipts/{session.session_id}/reissue", headers=auth)
    assert (response.status, (await response.json())["error"]) == (409, "session_running")


@pytest.mark.parametrize(
    ("evse", "body", "field"),
    [
        ("1", {"public_key": "not a key!"}, "public_key"),
        ("1", {"public_key": "3059301306", "encoding": "base32"}, "public_key"),
        ("1", {"public_key": "3059301306", "extra": 1}, "extra"),
        ("one", {"public_key": "3059301306"}, "evse_id"),
    ],
)
async def test_meter_keys_are_validated(client, auth, evse, body, field):
    response = await client.put(f"/api/v1/charge-points/CP-X/meter-keys/{evse}", json=body, headers=auth)
    assert response.status == 422
    assert [reason["field"] for reason in (await response.json())["detail"]] == [field]


async def test_the_key_history_keeps_every_configured_key_newest_first(session, meter, client, auth):
    url = f"/api/v1/charge-points/{session.charge_point_id}/meter-keys"
    other = "30 59 30 13"
    for key in (meter.public_key_hex, other):
        assert (await client.put(f"{url}/2", json={"public_key": key}, headers=auth)).status == 200
    items = (await (await client.get(url, headers=auth)).json())["items"]
    assert [(k["evse_id"], k["public_key"], k["encoding"], k["source"]) for k in items] == [
        (2, other, "hex", "operator_api"),
        (2, meter.public_key_hex, "hex", "operator_api"),
    ]


@pytest.mark.parametrize("table", ["signed_records", "receipts", "meter_keys", "transaction_ends"])
@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}", "TRUNCATE {table}"]
)
async def test_the_database_refuses_to_change_calibration_law_data(verified, db, table, statement):
    column = {
        "signed_records": "context",
        "receipts": "reason",
        "meter_keys": "encoding",
        "transaction_ends": "stopped_at",
    }
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await db.execute(statement.format(table=table, column=column[table]))

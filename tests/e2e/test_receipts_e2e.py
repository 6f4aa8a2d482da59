"""Calibration-law receipts through the whole stack, with charge points whose meters sign.

A simulated meter signs real OCMF records with a P-256 key made here; the charge point sends
them as OCPP 1.6 ``SignedData`` values (the key configured through the receipts API) or as
OCPP 2.0.1 ``signedMeterValue`` (the key sent along). The receipt must verify, be billable and
export the exact signed strings; a record changed after signing must make it invalid.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ladeplan.simulator.signing import SigningMeter
from tests.e2e.support import Operator, Stack
from tests.e2e.test_charging_session_e2e import completed_session, connected, wait_authorized
from tests.support.bus import EventTap, tap_events
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e


def receipts_api(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.services['receipts'].port}/api/v1"


@pytest.fixture
def meter() -> SigningMeter:
    return SigningMeter(ec.generate_private_key(ec.SECP256R1()), serial=f"E2E-MTR-{uuid.uuid4().hex[:6]}")


@pytest.fixture
async def issued(stack: Stack) -> AsyncIterator[EventTap]:
    async with tap_events(stack.env["AMQP_URL"], "receipt.issued") as tap:
        yield tap


async def receipt_of(operator: Operator, session_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        async with operator.http.get(f"{receipts_api(operator.stack)}/receipts/{session_id}") as response:
            return await response.json() if response.status == 200 else None

    result: dict[str, Any] = await eventually(check, timeout=20)
    return result


async def transparency_xml(operator: Operator, session_id: str) -> str:
    async with operator.http.get(f"{receipts_api(operator.stack)}/receipts/{session_id}.xml") as response:
        assert response.status == 200, await response.text()
        return await response.text()


def signed_data_in(xml: str) -> list[str | None]:
    return [element.text for element in ET.fromstring(xml).iter("signedData")]


def flip_a_digit_of_the_reading(record: str) -> str:
    """The record with the last digit of its reading changed after signing, as a forger would."""
    match = re.search(r'"RV":\d+\.\d+', record)
    assert match is not None
    last = match.end() - 1
    return record[:last] + str((int(record[last]) + 1) % 10) + record[last + 1 :]


async def run_16_session(stack: Stack, operator: Operator, meter: SigningMeter, *, tamper: bool = False) -> tuple:
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    url = f"{receipts_api(stack)}/charge-points/{cp_id}/meter-keys/0"
    async with operator.http.put(url, json={"public_key": meter.public_key_hex}) as response:
        assert response.status == 200, await response.text()
    begin, end = meter.begin(10_000, token=token), meter.end(17_250, token=token)
    if tamper:
        end = flip_a_digit_of_the_reading(end)
    async with connected(stack, cp_id, password, "1.6") as sim:
        assert (await sim.boot()).status == "Accepted"
        await wait_authorized(sim, token)
        started = await sim.start_transaction(1, token, 10_000)
        await sim.signed_meter_values(1, started.transaction_id, begin, context="Transaction.Begin")
        await sim.stop_transaction(started.transaction_id, 17_250, token, signed_data=end)
    session = await completed_session(operator, cp_id)
    return session, begin, end


async def test_a_signed_16_session_gets_a_verified_billable_receipt(
    stack: Stack, operator: Operator, meter: SigningMeter, issued: EventTap
) -> None:
    session, begin, end = await run_16_session(stack, operator, meter)

    receipt = await receipt_of(operator, session["id"])
    assert (receipt["status"], receipt["reason"], receipt["billable"]) == ("verified", None, True)
    assert receipt["measured_energy"] == {"value": "7.250", "unit": "kWh"}
    assert receipt["public_key"] == {"value": meter.public_key_hex, "encoding": "hex", "source": "operator_api"}
    assert receipt["transaction_id"] == int(session["transaction_ref"])
    assert [record["signed_meter_data"] for record in receipt["records"]] == [begin, end]

    xml = await transparency_xml(operator, session["id"])
    assert signed_data_in(xml) == [begin, end]
    assert begin in xml
    assert end in xml
    event = await issued.wait_for("receipt.issued", timeout=20, session_id=session["id"])
    assert (event["data"]["status"], event["data"]["billable"]) == ("verified", True)


async def test_a_signed_201_session_gets_a_verified_billable_receipt(
    stack: Stack, operator: Operator, meter: SigningMeter
) -> None:
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    tx = f"tx-{uuid.uuid4().hex[:8]}"
    begin = meter.signed_meter_value(meter.begin(2_000, token=token))
    end = meter.signed_meter_value(meter.end(6_400, token=token), with_key=False)  # the key once per transaction
    async with connected(stack, cp_id, password, "2.0.1") as sim:
        assert (await sim.boot()).status == "Accepted"
        await wait_authorized(sim, token)
        await sim.transaction_event(
            "Started",
            tx,
            trigger_reason="Authorized",
            energy_wh=2_000,
            context="Transaction.Begin",
            id_token=token,
            signed_meter_value=begin,
        )
        await sim.transaction_event("Updated", tx, trigger_reason="MeterValuePeriodic", energy_wh=4_000)
        await sim.transaction_event(
            "Ended",
            tx,
            trigger_reason="EVDeparted",
            energy_wh=6_400,
            context="Transaction.End",
            stopped_reason="EVDisconnected",
            signed_meter_value=end,
        )
    session = await completed_session(operator, cp_id)

    receipt = await receipt_of(operator, session["id"])
    assert (receipt["status"], receipt["billable"]) == ("verified", True)
    assert receipt["measured_energy"] == {"value": "4.400", "unit": "kWh"}
    assert receipt["public_key"] == {"value": meter.public_key_base64, "encoding": "base64", "source": "signed_value"}
    xml = await transparency_xml(operator, session["id"])
    assert signed_data_in(xml) == [begin["signed_meter_data"], end["signed_meter_data"]]
    async with operator.http.get(f"{receipts_api(stack)}/receipts/{session['id']}.ocmf.json") as response:
        export = await response.json()
    assert [value["signed_data"] for value in export["signed_values"]] == [
        begin["signed_meter_data"],
        end["signed_meter_data"],
    ]


async def test_a_tampered_session_is_captured_but_invalid_and_not_billable(
    stack: Stack, operator: Operator, meter: SigningMeter, issued: EventTap
) -> None:
    session, _, tampered_end = await run_16_session(stack, operator, meter, tamper=True)
    assert session["energy_wh"] == 7_250  # the session itself is captured and completed as usual

    receipt = await receipt_of(operator, session["id"])
    assert (receipt["status"], receipt["billable"]) == ("invalid", False)
    assert receipt["reason"] == "record 2 (T2): the signature does not match the payload and key"
    assert receipt["records"][-1]["signed_meter_data"] == tampered_end
    assert signed_data_in(await transparency_xml(operator, session["id"]))[-1] == tampered_end
    event = await issued.wait_for("receipt.issued", timeout=20, session_id=session["id"])
    assert (event["data"]["status"], event["data"]["billable"]) == ("invalid", False)
    async with operator.http.get(
        f"{receipts_api(stack)}/receipts", params={"charge_point_id": session["charge_point_id"], "status": "invalid"}
    ) as response:
        assert [item["session_id"] for item in (await response.json())["items"]] == [session["id"]]

"""Every supported message of OCPP 1.6, 2.0.1 and 2.1 through the whole stack, with the ``ocpp`` package's client.

The simulated charge point (``src/ladeplan/simulator``) sends every charge-point-initiated message
of the supported profiles and answers every operator command sent through masterdata's API;
afterwards masterdata shows what the gateway reported (connection, boot info, firmware, last
seen). The strict npm client (``test_ocpp_rpc_conformance.py``) checks the same set against the
official schemas from outside our libraries; the charging session itself is covered by
``test_charging_session_e2e.py`` and ``test_ocpp_rpc_strict.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from ocpp.v16 import call as v16_call

from ladeplan.simulator.charge_points import Sim16, Sim21, Sim201
from ladeplan.simulator.connection import ClientConnection, open_socket
from ladeplan.simulator.station2_notify import now_iso
from tests.e2e.conformance import Case, cases_for, send_command
from tests.e2e.support import Operator, Stack
from tests.support.polling import eventually

# Only the operator's commands: ems-adapter's own profiles would interleave (see conftest.stack_without_ems).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("stack_without_ems")]

SIMULATORS = {"1.6": (Sim16, "ocpp1.6"), "2.0.1": (Sim201, "ocpp2.0.1"), "2.1": (Sim21, "ocpp2.1")}


@asynccontextmanager
async def station(stack: Stack, cp_id: str, password: str, version: str) -> AsyncIterator[Any]:
    sim_class, protocol = SIMULATORS[version]
    async with open_socket(stack.gateway_url, cp_id, password, protocol) as socket:
        sim = sim_class(cp_id, ClientConnection(socket), response_timeout=8)
        reader = asyncio.create_task(sim.start())
        try:
            yield sim
        finally:
            reader.cancel()


def v16_messages(sim: Any) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    return [
        ("Heartbeat", lambda: sim.call(v16_call.Heartbeat())),
        (
            "StatusNotification",
            lambda: sim.call(
                v16_call.StatusNotification(
                    connector_id=1, error_code="NoError", status="Available", timestamp=now_iso()
                )
            ),
        ),
        (
            "MeterValues",
            lambda: sim.call(
                v16_call.MeterValues(
                    connector_id=1, meter_value=[{"timestamp": now_iso(), "sampled_value": [{"value": "1000"}]}]
                )
            ),
        ),
        ("DataTransfer", lambda: sim.call(v16_call.DataTransfer(vendor_id="org.example"))),
        ("FirmwareStatusNotification", lambda: sim.firmware_status("Idle")),
        ("DiagnosticsStatusNotification", lambda: sim.diagnostics_status("Idle")),
        ("SecurityEventNotification", lambda: sim.security_event("StartupOfTheDevice")),
        ("LogStatusNotification", lambda: sim.log_status("Idle", 1)),
        ("SignedFirmwareStatusNotification", lambda: sim.signed_firmware_status("Idle", 1)),
    ]


def v2_messages(sim: Any) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    call = sim._call
    profile = {
        "id": 4,
        "stack_level": 0,
        "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Absolute",
        "charging_schedule": [sim.schedule(4, 16, "A")],
    }
    return [
        ("Heartbeat", lambda: sim.call(call.Heartbeat())),
        (
            "StatusNotification",
            lambda: sim.call(
                call.StatusNotification(timestamp=now_iso(), connector_status="Available", evse_id=1, connector_id=1)
            ),
        ),
        ("MeterValues", lambda: sim.call(call.MeterValues(evse_id=1, meter_value=[sim.energy_reading()]))),
        ("DataTransfer", lambda: sim.call(call.DataTransfer(vendor_id="org.example"))),
        ("FirmwareStatusNotification", lambda: sim.firmware_status("Idle")),
        ("LogStatusNotification", lambda: sim.log_status("Idle")),
        ("SecurityEventNotification", lambda: sim.security_event("StartupOfTheDevice")),
        ("ReservationStatusUpdate", lambda: sim.reservation_status_update(3, "Removed")),
        ("NotifyReport", lambda: sim.notify_report(7)),
        ("NotifyEvent", sim.notify_event),
        ("NotifyMonitoringReport", lambda: sim.notify_monitoring_report(8)),
        ("NotifyEVChargingNeeds", sim.notify_ev_charging_needs),
        ("NotifyEVChargingSchedule", sim.notify_ev_charging_schedule),
        ("NotifyChargingLimit", sim.notify_charging_limit),
        ("ClearedChargingLimit", sim.cleared_charging_limit),
        ("ReportChargingProfiles", lambda: sim.report_charging_profiles(9, [{"evse_id": 1, **profile}])),
    ]


async def status_of(operator: Operator, cp_id: str) -> dict[str, Any]:
    async with operator.http.get(f"{operator.stack.masterdata_url}/charge-points/{cp_id}") as response:
        assert response.status == 200, await response.text()
        status: dict[str, Any] = (await response.json())["status"]
        return status


async def firmware_status_becomes(operator: Operator, cp_id: str, expected: str) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        status = await status_of(operator, cp_id)
        return status if (status["firmware"] or {}).get("status") == expected else None

    result: dict[str, Any] = await eventually(reached, timeout=15)
    return result


def expect(case: Case, reply: dict[str, Any]) -> None:
    assert reply["status"] == case.status, (case.name, reply)
    if case.detail is not None:
        assert reply["detail"] == case.detail, (case.name, reply)
    if case.status in {"accepted", "rejected"}:
        assert case.check(reply["response"]), (case.name, reply)


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
async def test_every_message_and_command_with_the_python_client(stack: Stack, operator: Operator, version: str) -> None:
    cp_id, password = await operator.charge_point()
    async with station(stack, cp_id, password, version) as sim:
        assert (await sim.boot()).status == "Accepted"

        cases = cases_for(version)
        for case in cases:
            expect(case, await send_command(operator.http, stack, cp_id, case))
        # Each command reached the charge point as its version's CALL, in order; unsupported ones never left.
        assert sim.calls_received == [case.action for case in cases if case.action is not None]
        await sim.followups.idle()  # the firmware update's progress has been reported
        await firmware_status_becomes(operator, cp_id, "installed")

        # Then everything the charge point says on its own. (After the commands: the EMS answers the EV's
        # charging needs with a charging profile of its own, which must not mix into the commands above.)
        messages = v16_messages(sim) if version == "1.6" else v2_messages(sim)
        for action, send in messages:
            answer = await send()
            # The ocpp package returns None for a CALLERROR; reports in parts return each part's answer.
            answers = answer if isinstance(answer, list) else [answer]
            assert answers, action
            assert all(a is not None for a in answers), f"{action} got a CALLERROR"
        status = await firmware_status_becomes(operator, cp_id, "idle")  # the last FirmwareStatusNotification
        assert status["connection"]["connected"] is True
        assert status["connection"]["ocpp_version"] == version
        assert (status["boot"]["vendor"], status["boot"]["model"]) == ("ladeplan", sim_model(version))
        assert status["last_seen_at"] is not None

    # Gone: commands come back offline at once, and masterdata shows the charge point disconnected.
    started = time.monotonic()
    reply = await send_command(operator.http, stack, cp_id, Case("clear_cache", {}, "ClearCache"))
    assert reply["status"] == "offline"
    assert time.monotonic() - started < 3

    async def disconnected() -> bool:
        return (await status_of(operator, cp_id))["connection"]["connected"] is False

    await eventually(disconnected, timeout=10)


def sim_model(version: str) -> str:
    return "Sim-16" if version == "1.6" else "Sim-201"

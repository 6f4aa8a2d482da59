"""Every charge-point-initiated message of the supported profiles, and the commands' follow-ups, as events.

The gateway runs in-process against the real RabbitMQ and PostgreSQL; masterdata's handshake RPC
is answered by a stand-in (it lies outside this service); the charge points are the simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from ladeplan.simulator.charge_points import Sim16, Sim21, Sim201
from ladeplan.simulator.connection import ClientConnection, open_socket
from ladeplan_contracts.commands import ChargingProfile, ChargingSchedulePeriod, CommandBody, SetChargingProfile
from ladeplan_contracts.commands_charging import GetChargingProfiles
from ladeplan_contracts.commands_device import DataTransfer, GetBaseReport, GetLog, UpdateFirmware
from ladeplan_contracts.names import EVENTS_EXCHANGE
from ladeplan_contracts.rpc import AuthenticateChargePointReply, AuthenticateChargePointRequest
from ladeplan_platform.bus import make_broker, serve_rpc
from ladeplan_platform.commands import CommandClient
from ladeplan_platform.rpc import RpcClient
from ladeplan_platform.settings import ServiceSettings
from ocpp_gateway.app import create_app
from ocpp_gateway.config import SCHEMA, Settings

pytestmark = pytest.mark.integration

PASSWORD = "messages-password-0123"
FLUSH_S = 0.5


@dataclass
class Harness:
    url: str
    events: asyncio.Queue[tuple[str, dict[str, Any]]]
    commands: CommandClient
    db: asyncpg.Connection

    async def next_event(
        self, event_type: str, charge_point_id: str | None = None, timeout: float = 5
    ) -> dict[str, Any]:
        """The next event of ``event_type`` (about ``charge_point_id``), skipping others."""
        while True:
            routing_key, body = await asyncio.wait_for(self.events.get(), timeout)
            if routing_key == event_type and charge_point_id in (None, body.get("charge_point_id")):
                return dict(body["data"])


@pytest.fixture(scope="module")
async def harness(database_url: str, module_amqp_url: str) -> AsyncIterator[Harness]:
    async def authenticate(request: AuthenticateChargePointRequest) -> AuthenticateChargePointReply:
        return AuthenticateChargePointReply(accepted=request.password == PASSWORD)

    broker = make_broker(ServiceSettings(amqp_url=module_amqp_url), "test-masterdata-stand-in")
    serve_rpc(broker, AuthenticateChargePointRequest, authenticate)
    await broker.start()
    connection = await aio_pika.connect_robust(module_amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, routing_key="chargepoint.#")
    events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def on_event(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            await events.put((message.routing_key or "", json.loads(message.body)))

    await queue.consume(on_event)
    settings = Settings(database_url=database_url, amqp_url=module_amqp_url, last_seen_flush_s=FLUSH_S)
    server = TestServer(await create_app(settings), host="127.0.0.1")
    await server.start_server()
    rpc = RpcClient(module_amqp_url)
    await rpc.start()
    db = await asyncpg.connect(database_url, server_settings={"search_path": SCHEMA})
    try:
        yield Harness(f"ws://127.0.0.1:{server.port}", events, CommandClient(rpc), db)
    finally:
        await db.close()
        await rpc.close()
        await server.close()
        await connection.close()
        await broker.stop()


@asynccontextmanager
async def station(harness: Harness, version: str) -> AsyncIterator[Any]:
    """A booted simulated charge point of ``version`` with its reader running."""
    cp_id = f"MSG-{uuid.uuid4().hex[:8]}"
    sim_class, protocol = {"1.6": (Sim16, "ocpp1.6"), "2.0.1": (Sim201, "ocpp2.0.1"), "2.1": (Sim21, "ocpp2.1")}[
        version
    ]
    async with open_socket(harness.url, cp_id, PASSWORD, protocol) as socket:
        sim = sim_class(cp_id, ClientConnection(socket), response_timeout=5)
        reader = asyncio.create_task(sim.start())
        try:
            assert (await sim.boot()).status == "Accepted"
            yield sim
        finally:
            reader.cancel()


async def test_v16_firmware_diagnostics_and_security_extension_become_events(harness: Harness) -> None:
    async with station(harness, "1.6") as sim:
        await sim.firmware_status("DownloadFailed")
        assert await harness.next_event("chargepoint.firmware.status_notified", sim.id) == {
            "charge_point_id": sim.id,
            "status": "download_failed",
            "request_id": None,
        }
        await sim.diagnostics_status("UploadFailed")
        assert (await harness.next_event("chargepoint.log_upload.status_notified", sim.id))["status"] == "upload_failed"
        await sim.log_status("Uploading", request_id=4)
        uploading = await harness.next_event("chargepoint.log_upload.status_notified", sim.id)
        assert (uploading["status"], uploading["request_id"]) == ("uploading", 4)
        await sim.signed_firmware_status("SignatureVerified", request_id=5)
        verified = await harness.next_event("chargepoint.firmware.status_notified", sim.id)
        assert (verified["status"], verified["request_id"]) == ("signature_verified", 5)
        await sim.security_event("FirmwareUpdated", tech_info="v2.0")
        security = await harness.next_event("chargepoint.security_event.notified", sim.id)
        assert (security["type"], security["tech_info"]) == ("FirmwareUpdated", "v2.0")


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
async def test_v2_notifications_become_events(harness: Harness, version: str) -> None:
    async with station(harness, version) as sim:
        await sim.firmware_status("InstallRebooting", request_id=8)
        firmware = await harness.next_event("chargepoint.firmware.status_notified", sim.id)
        assert (firmware["status"], firmware["request_id"]) == ("install_rebooting", 8)
        await sim.log_status("AcceptedCanceled", request_id=9)
        assert (await harness.next_event("chargepoint.log_upload.status_notified", sim.id))[
            "status"
        ] == "accepted_canceled"
        await sim.security_event("SettingSystemTime")
        assert (await harness.next_event("chargepoint.security_event.notified", sim.id))["type"] == "SettingSystemTime"
        await sim.reservation_status_update(12, "Expired")
        reservation = await harness.next_event("chargepoint.reservation.status_updated", sim.id)
        assert (reservation["reservation_id"], reservation["status"]) == (12, "expired")

        answer = await sim.notify_ev_charging_needs(1, energy_wh=30000, max_current_a=16, departure_in_s=3600)
        assert answer.status == "Accepted"
        needs = await harness.next_event("chargepoint.ev_charging_needs.notified", sim.id)
        departure = datetime.fromisoformat(needs.pop("departure_time"))
        assert abs(departure - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(seconds=30)
        assert needs == {
            "charge_point_id": sim.id,
            "evse_id": 1,
            "energy_transfer": "ac_three_phase",
            "phases": 3,
            "requested_energy_wh": 30000.0,
            "min_current_a": 6.0,
            "max_current_a": 16.0,
            "max_voltage_v": 400.0,
            "max_power_w": None,
            "state_of_charge_pct": None,
            "battery_capacity_wh": None,
            "max_schedule_tuples": 3,
        }
        assert (await sim.notify_ev_charging_schedule()).status == "Accepted"
        schedule = (await harness.next_event("chargepoint.ev_charging_schedule.notified", sim.id))["schedule"]
        assert [(p["start_offset_s"], p["limit"]) for p in schedule["periods"]] == [(0, 11000.0), (1800, 5500.0)]
        await sim.notify_charging_limit("SO", 7000)
        limit = await harness.next_event("chargepoint.charging_limit.notified", sim.id)
        assert (limit["source"], limit["grid_critical"], limit["schedules"][0]["unit"]) == ("so", True, "W")
        await sim.cleared_charging_limit("SO")
        assert (await harness.next_event("chargepoint.charging_limit.cleared", sim.id))["source"] == "so"

        await sim.notify_event("85.0")
        [event] = (await harness.next_event("chargepoint.device_events.notified", sim.id))["events"]
        assert (event["trigger"], event["actual_value"], event["component"]["name"]) == (
            "alerting",
            "85.0",
            "ChargingStation",
        )
        await sim.notify_monitoring_report(request_id=21)
        monitoring = await harness.next_event("chargepoint.monitoring_report.received", sim.id)
        assert monitoring["monitored"][0]["monitors"][0]["type"] == "upper_threshold"


async def execute(harness: Harness, sim: Any, command: CommandBody) -> dict[str, Any]:
    reply = await harness.commands.send(sim.id, command, timeout_s=5)
    return reply.model_dump()


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
async def test_reports_and_progress_follow_their_commands(harness: Harness, version: str) -> None:
    async with station(harness, version) as sim:
        reply = await execute(harness, sim, GetBaseReport(request_id=31, report="full_inventory"))
        assert (reply["status"], reply["detail"]) == ("accepted", "Accepted")
        first = await harness.next_event("chargepoint.device_report.received", sim.id)
        second = await harness.next_event("chargepoint.device_report.received", sim.id)
        assert [(first["seq_no"], first["more_to_follow"]), (second["seq_no"], second["more_to_follow"])] == [
            (0, True),
            (1, False),
        ]
        reported = {
            v["component"]["name"] + "." + v["variable"]["name"]: v for v in first["variables"] + second["variables"]
        }
        assert reported["OCPPCommCtrlr.HeartbeatInterval"]["attributes"][0]["value"] == "300"
        assert reported["SecurityCtrlr.BasicAuthPassword"]["attributes"][0]["value"] is None  # write-only

        when = datetime.now(UTC)
        assert (await execute(harness, sim, UpdateFirmware(location="https://fw.example/x.bin", retrieve_at=when)))[
            "status"
        ] == "accepted"
        statuses = [await harness.next_event("chargepoint.firmware.status_notified", sim.id) for _ in range(4)]
        assert [s["status"] for s in statuses] == ["downloading", "downloaded", "installing", "installed"]
        request_id = sim.received[-1][1]["request_id"]  # numbered by the gateway, as the command named none
        assert {s["request_id"] for s in statuses} == {request_id}

        assert (await execute(harness, sim, GetLog(location="ftp://logs.example/", request_id=41)))[
            "status"
        ] == "accepted"
        uploads = [await harness.next_event("chargepoint.log_upload.status_notified", sim.id) for _ in range(2)]
        assert [(u["status"], u["request_id"]) for u in uploads] == [("uploading", 41), ("uploaded", 41)]

        profile = ChargingProfile(
            id=9, purpose="tx_default", unit="W", periods=[ChargingSchedulePeriod(start_offset_s=0, limit=11000)]
        )
        assert (await execute(harness, sim, SetChargingProfile(evse_id=1, profile=profile)))["status"] == "accepted"
        assert (await execute(harness, sim, GetChargingProfiles(request_id=51, evse_id=1)))["status"] == "accepted"
        report = await harness.next_event("chargepoint.charging_profiles.reported", sim.id)
        assert (report["request_id"], report["source"], report["evse_id"]) == (51, "cso", 1)
        assert [(p["id"], p["purpose"], p["schedules"][0]["periods"][0]["limit"]) for p in report["profiles"]] == [
            (9, "tx_default", 11000.0)
        ]


@pytest.mark.parametrize("protocol", ["ocpp2.0.1", "ocpp2.1"])
async def test_vendor_data_travels_untouched(harness: Harness, protocol: str) -> None:
    """Regression: the ocpp package camelCases every key of a CALL and snake_cases every answer, vendor data
    included, and drops nulls. The charge point here is raw frames, so nothing on its side rewrites them."""
    cp_id = f"RAW-{uuid.uuid4().hex[:8]}"
    data = {"snake_key": [1, {"innerKey": "x_y", "empty": None}]}
    async with open_socket(harness.url, cp_id, PASSWORD, protocol) as socket:
        # Once a CALL is answered the gateway has bound the charge point's command route.
        await socket.send_str('[2,"hb","Heartbeat",{}]')
        assert json.loads(await socket.receive_str(timeout=5))[:2] == [3, "hb"]
        reply_task = asyncio.create_task(
            harness.commands.send(
                cp_id, DataTransfer(vendor_id="org.example", message_id="Echo", data=data), timeout_s=5
            )
        )
        frame = json.loads(await socket.receive_str(timeout=5))
        assert frame[:3] == [2, frame[1], "DataTransfer"]
        assert frame[3] == {"vendorId": "org.example", "messageId": "Echo", "data": data}
        await socket.send_str(json.dumps([3, frame[1], {"status": "Accepted", "data": {"answer_key": True}}]))
        reply = await reply_task
    assert (reply.status, reply.response) == ("accepted", {"status": "Accepted", "data": {"answer_key": True}})


async def test_last_seen_is_written_and_published_in_batches(harness: Harness) -> None:
    async with station(harness, "2.0.1") as sim:
        await asyncio.sleep(FLUSH_S * 2)
        connected = await harness.db.fetchval("SELECT last_seen_at FROM connections WHERE charge_point_id = $1", sim.id)
        heartbeat_at = datetime.now(UTC)
        await sim.send(sim._call.Heartbeat())

        async def stamp_after_heartbeat() -> datetime:
            while True:
                seen = await harness.next_event("chargepoint.activity.seen", timeout=FLUSH_S * 6)
                assert seen["node_id"]
                for entry in seen["charge_points"]:
                    stamp = datetime.fromisoformat(entry["last_seen_at"])
                    if entry["charge_point_id"] == sim.id and stamp >= heartbeat_at:
                        return stamp

        stamp = await stamp_after_heartbeat()
        stored = await harness.db.fetchval("SELECT last_seen_at FROM connections WHERE charge_point_id = $1", sim.id)
        assert stored == stamp > connected  # written before it was published
        # Nothing was received since: the following batches leave this charge point out.
        later: list[dict[str, Any]] = []
        with contextlib.suppress(TimeoutError):
            while True:
                later.append(await harness.next_event("chargepoint.activity.seen", timeout=FLUSH_S * 3))
        assert all(sim.id not in {e["charge_point_id"] for e in batch["charge_points"]} for batch in later)

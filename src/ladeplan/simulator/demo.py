"""The demo site: a location with 1.6 and 2.0.1 charge points where cars arrive, charge and leave.

Seeded through the operator API like an operator would, then each charge point runs sessions in
a loop with realistic meter values, so a newcomer sees sessions happen end to end. The 2.0.1
charge points' meters sign their begin and end readings (OCMF), so their receipts verify, and
their cars tell the EMS their energy and departure (NotifyEVChargingNeeds). Every car draws
within the charging profiles its charge point holds (the smart charging plan).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import structlog

from ladeplan.simulator.charge_points import Sim16, Sim201
from ladeplan.simulator.connection import ClientConnection, open_socket
from ladeplan.simulator.signing import SigningMeter

log = structlog.get_logger("ladeplan.demo")

DEMO_PASSWORD = "demo-charge-point-secret"


@dataclass(frozen=True)
class DemoChargePoint:
    id: str
    version: str
    token: str


DEMO_CHARGE_POINTS = (
    DemoChargePoint("DEMO-16-A", "1.6", "DEMO-TOKEN-1"),
    DemoChargePoint("DEMO-16-B", "1.6", "DEMO-TOKEN-2"),
    DemoChargePoint("DEMO-201-A", "2.0.1", "DEMO-TOKEN-3"),
    DemoChargePoint("DEMO-201-B", "2.0.1", "DEMO-TOKEN-4"),
)


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any] | None:
    async with http.post(url, json=body) as response:
        if response.status == 409:
            return None  # already seeded by an earlier run
        response.raise_for_status()
        result: dict[str, Any] = await response.json()
        return result


async def seed(masterdata_url: str, api_key: str) -> None:
    """Create the demo location, charge points, drivers and tokens (idempotent)."""
    headers = {"Authorization": f"Bearer {api_key}"}
    api = f"{masterdata_url.rstrip('/')}/api/v1"
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{api}/locations") as response:
            response.raise_for_status()
            existing = [loc for loc in (await response.json())["items"] if loc["name"] == "Demo Parkhaus"]
        if existing:
            location_id = existing[0]["id"]
        else:
            location = await _post(
                http, f"{api}/locations", {"name": "Demo Parkhaus", "timezone": "Europe/Berlin", "grid_limit_kw": 60}
            )
            assert location is not None
            location_id = location["id"]
        for number, cp in enumerate(DEMO_CHARGE_POINTS, start=1):
            await _post(
                http,
                f"{api}/charge-points",
                {
                    "id": cp.id,
                    "location_id": location_id,
                    "password": DEMO_PASSWORD,
                    "connectors": [{"connector_id": 1, "max_power_kw": 11}],
                },
            )
            user = await _post(
                http, f"{api}/users", {"email": f"driver{number}@demo.ladeplan.dev", "name": f"Driver {number}"}
            )
            if user is not None:
                await _post(http, f"{api}/users/{user['id']}/tokens", {"uid": cp.token, "type": "RFID"})
    log.info("demo.seeded", charge_points=[cp.id for cp in DEMO_CHARGE_POINTS])


async def _session_16(sim: Sim16, cp: DemoChargePoint, rng: random.Random, meter: int) -> int:
    await sim.authorize(cp.token)
    started = await sim.start_transaction(1, cp.token, meter)
    car_w = rng.choice([3700.0, 7400.0, 11000.0])
    for _ in range(rng.randint(3, 8)):
        await asyncio.sleep(5)
        power_w = min(car_w, sim.book.limit_w(datetime.now(UTC), 1, str(started.transaction_id)))
        meter += int(power_w * 5 / 3600 * 60)  # the demo clock runs 60x faster than the wall clock
        await sim.meter_values(1, started.transaction_id, meter, power_w)
    await sim.stop_transaction(started.transaction_id, meter, cp.token)
    return meter


async def _session_201(
    sim: Sim201, cp: DemoChargePoint, rng: random.Random, meter: int, number: int, signer: SigningMeter
) -> int:
    """A session whose begin and end readings the meter signs (OCMF, key sent along): receipts verify them."""
    tx = f"{cp.id}-{number}-{rng.randrange(1 << 30):x}"
    car_w = rng.choice([3700.0, 7400.0, 11000.0])
    # ISO 15118 negotiates before the transaction starts: the EMS plans this car with its own demand.
    await sim.notify_ev_charging_needs(
        energy_wh=rng.choice([5000, 10000, 20000]),
        max_current_a=max(6, round(car_w / 690)),  # A per phase on three phases
        departure_in_s=rng.choice([1, 2, 4]) * 3600,
    )
    await sim.transaction_event(
        "Started",
        tx,
        trigger_reason="Authorized",
        energy_wh=meter,
        context="Transaction.Begin",
        id_token=cp.token,
        signed_meter_value=signer.signed_meter_value(signer.begin(meter, token=cp.token)),
    )
    for _ in range(rng.randint(3, 8)):
        await asyncio.sleep(5)
        power_w = min(car_w, sim.book.limit_w(datetime.now(UTC), 1, tx))
        meter += int(power_w * 5 / 3600 * 60)
        await sim.transaction_event("Updated", tx, trigger_reason="MeterValuePeriodic", energy_wh=meter)
    await sim.transaction_event(
        "Ended",
        tx,
        trigger_reason="EVDeparted",
        energy_wh=meter,
        context="Transaction.End",
        stopped_reason="EVDisconnected",
        signed_meter_value=signer.signed_meter_value(signer.end(meter, token=cp.token)),
    )
    return meter


async def run_charge_point(gateway_url: str, cp: DemoChargePoint, seed_value: int) -> None:
    """One charge point running sessions forever, reconnecting after errors."""
    rng = random.Random(seed_value)
    meter = rng.randrange(1_000_000, 5_000_000)
    signer = SigningMeter(serial=f"{cp.id}-MTR")
    number = 0
    while True:
        try:
            subprotocol = "ocpp1.6" if cp.version == "1.6" else "ocpp2.0.1"
            async with open_socket(gateway_url, cp.id, DEMO_PASSWORD, subprotocol) as socket:
                sim: Sim16 | Sim201 = (Sim16 if cp.version == "1.6" else Sim201)(cp.id, ClientConnection(socket))
                reader = asyncio.create_task(sim.start())
                try:
                    await sim.boot()
                    while True:
                        number += 1
                        if isinstance(sim, Sim16):
                            meter = await _session_16(sim, cp, rng, meter)
                        else:
                            meter = await _session_201(sim, cp, rng, meter, number, signer)
                        log.info("demo.session_done", charge_point_id=cp.id, meter_wh=meter)
                        await asyncio.sleep(rng.uniform(2, 8))
                finally:
                    reader.cancel()
        except (aiohttp.ClientError, ConnectionError, TimeoutError) as exc:
            log.warning("demo.reconnecting", charge_point_id=cp.id, error=repr(exc))
            await asyncio.sleep(3)


async def run_demo(gateway_url: str, masterdata_url: str, api_key: str) -> None:
    await seed(masterdata_url, api_key)
    await asyncio.gather(*(run_charge_point(gateway_url, cp, i) for i, cp in enumerate(DEMO_CHARGE_POINTS)))

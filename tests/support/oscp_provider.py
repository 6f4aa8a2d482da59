"""A stand-in OSCP 2.0 Capacity Provider (a DSO or site EMS) for tests: real HTTP, the spec's wire format.

It speaks to ladeplan the way a provider does and shares no code with ladeplan's OSCP side (its
checks of incoming messages are its own), so a mistake in ladeplan's reading of the spec shows
up as a refused message here instead of cancelling out:

- it issues a registration token out of band; ladeplan's first Register must carry it, every
  later message the token the provider gave ladeplan in its own Register back;
- it answers every accepted message 204, a message without ``X-Request-ID`` or with a wrong body
  400, a foreign token 401;
- it answers ladeplan's Handshake with a HandshakeAcknowledgement and records everything it got.

The test drives the provider's side: ``handshake``, ``heartbeat``, ``forecast``, or ``post`` for
anything, including malformed messages.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

PATH = "/oscp/cp/2.0"
PHASES = {"UNKNOWN", "ONE", "TWO", "THREE", "ALL"}
ENERGY_UNITS = {"WH", "KWH"}
INSTANT_UNITS = {"A", "W", "KW", "WH", "KWH"}
DIRECTIONS = {"NET", "IMPORT", "EXPORT"}
CATEGORIES = {"CHARGING", "CONSUMPTION", "GENERATION", "STORAGE"}


@dataclass(frozen=True)
class Received:
    message: str
    headers: dict[str, str]
    body: dict[str, Any]


class Invalid(Exception):
    pass


def _time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a date-time string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise Invalid(f"{name} needs a time zone (RFC 3339)")
    return parsed


def _energy(record: Any) -> None:
    if not isinstance(record, dict) or not isinstance(record.get("value"), int | float):
        raise Invalid("an energy measurement needs a numeric value")
    if record.get("phase") not in PHASES or record.get("unit") not in ENERGY_UNITS:
        raise Invalid("energy measurement: phase or unit outside the spec")
    if record.get("direction") not in DIRECTIONS:
        raise Invalid("energy measurement: direction must be NET, IMPORT or EXPORT")
    _time(record.get("measure_time"), "measure_time")
    if "initial_measure_time" in record:
        _time(record["initial_measure_time"], "initial_measure_time")


def _check(message: str, body: dict[str, Any]) -> None:
    """The provider's own reading of the spec's message bodies."""
    match message:
        case "register":
            if not body.get("token") or not body.get("version_url"):
                raise Invalid("register needs token and version_url")
            for item in body["version_url"]:
                if not item.get("version") or not item.get("base_url"):
                    raise Invalid("version_url entries need version and base_url")
        case "handshake" | "handshake_acknowledgement":
            behaviour = body.get("required_behaviour")
            if message == "handshake" and not isinstance(behaviour, dict):
                raise Invalid("handshake needs required_behaviour")
            interval = (behaviour or {}).get("heartbeat_interval")
            if interval is not None and (not isinstance(interval, int) or interval < 1):
                raise Invalid("heartbeat_interval must be an integer of at least 1")
        case "heartbeat":
            _time(body.get("offline_mode_at"), "offline_mode_at")
        case "update_group_measurements":
            if not body.get("group_id") or not isinstance(body.get("measurements"), list):
                raise Invalid("update_group_measurements needs group_id and measurements")
            for record in body["measurements"]:
                _energy(record)
        case "update_asset_measurements":
            if not body.get("group_id") or not isinstance(body.get("measurements"), list):
                raise Invalid("update_asset_measurements needs group_id and measurements")
            for asset in body["measurements"]:
                if not asset.get("asset_id") or asset.get("asset_category") not in CATEGORIES:
                    raise Invalid("an asset measurement needs asset_id and an asset_category of the spec")
                if "energy_measurement" in asset:
                    _energy(asset["energy_measurement"])
                instant = asset.get("instantaneous_measurement") or {"unit": "KW", "phase": "ALL"}
                if instant.get("unit") not in INSTANT_UNITS or instant.get("phase") not in PHASES:
                    raise Invalid("instantaneous measurement: unit or phase outside the spec")
        case "group_capacity_compliance_error":
            if not isinstance(body.get("message"), str):
                raise Invalid("group_capacity_compliance_error needs a message")


class CapacityProviderStandIn:
    MESSAGES = (
        "register",
        "handshake",
        "handshake_acknowledgement",
        "heartbeat",
        "update_group_measurements",
        "update_asset_measurements",
        "group_capacity_compliance_error",
    )

    def __init__(self) -> None:
        self.registration_token = secrets.token_urlsafe(16)  # handed to ladeplan out of band
        self.token: str | None = None  # what ladeplan must use once registered (sent in our Register)
        self.peer_token: str | None = None  # what we must use towards ladeplan
        self.peer_base_url: str | None = None
        self.received: list[Received] = []
        self.refused: list[tuple[str, int]] = []
        self.sent: list[tuple[str, str]] = []  # (message, X-Request-ID) of what the provider sent
        self.registered = asyncio.Event()
        self.acknowledged = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}{PATH}"

    async def start(self) -> None:
        app = web.Application()
        for message in self.MESSAGES:
            app.router.add_post(f"{PATH}/{message}", self._receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self._session.close()
        await self._runner.cleanup()

    def of(self, message: str) -> list[Received]:
        return [item for item in self.received if item.message == message]

    # -- what ladeplan sends --------------------------------------------------------------------

    async def _receive(self, request: web.Request) -> web.Response:
        message = request.path.rsplit("/", 1)[1]
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        allowed = {self.token} | ({self.registration_token} if message == "register" else set())
        if scheme != "Token" or token not in allowed:
            self.refused.append((message, 401))
            return web.json_response({"message": "unauthorized"}, status=401)
        if not request.headers.get("X-Request-ID"):
            self.refused.append((message, 400))
            return web.json_response({"message": "X-Request-ID missing"}, status=400)
        try:
            body = await request.json()
            _check(message, body)
        except (ValueError, Invalid) as exc:
            self.refused.append((message, 400))
            return web.json_response({"message": str(exc)}, status=400)
        self.received.append(Received(message, dict(request.headers), body))
        if message == "register":
            self.peer_token = body["token"]
            self.peer_base_url = next(v["base_url"] for v in body["version_url"] if v["version"] == "2.0")
            self._later(self._register_back())
        elif message == "handshake":
            self._later(self._acknowledge(request.headers["X-Request-ID"]))
        elif message == "handshake_acknowledgement":
            self.acknowledged.set()
        return web.Response(status=204)

    def _later(self, coroutine: Any) -> None:
        # After our 204, as the spec's asynchronous answers are.
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _register_back(self) -> None:
        self.token = secrets.token_urlsafe(16)
        body = {"token": self.token, "version_url": [{"version": "2.0", "base_url": self.base_url}]}
        status, _ = await self.post("register", body)
        if status == 204:
            self.registered.set()

    async def _acknowledge(self, request_id: str) -> None:
        body = {"required_behaviour": {"measurement_configuration": []}}
        await self.post("handshake_acknowledgement", body, headers={"X-Correlation-ID": request_id})

    # -- what the test makes the provider send ----------------------------------------------------

    async def post(
        self, message: str, body: Any, *, token: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST ``body`` to ladeplan; ``token=""`` sends none; returns the status and the JSON body if any."""
        assert self.peer_base_url is not None, "ladeplan has not registered"
        sent = {"X-Request-ID": str(uuid.uuid4()), "Content-Type": "application/json"}
        secret = self.peer_token if token is None else token
        if secret:
            sent["Authorization"] = f"Token {secret}"
        sent.update(headers or {})
        self.sent.append((message, sent["X-Request-ID"]))
        data = body if isinstance(body, str) else json.dumps(body)
        async with self._session.post(f"{self.peer_base_url}/{message}", data=data, headers=sent) as answer:
            payload = await answer.json() if answer.content_type == "application/json" else None
            return answer.status, payload

    async def handshake(self, heartbeat_interval: int | None, measurement_configuration: list[str]) -> int:
        behaviour: dict[str, Any] = {"measurement_configuration": measurement_configuration}
        if heartbeat_interval is not None:
            behaviour["heartbeat_interval"] = heartbeat_interval
        status, _ = await self.post("handshake", {"required_behaviour": behaviour})
        return status

    async def heartbeat(self, offline_mode_at: datetime) -> int:
        status, _ = await self.post("heartbeat", {"offline_mode_at": offline_mode_at.isoformat()})
        return status

    async def forecast(self, group_id: str, kind: str, blocks: list[dict[str, Any]], *, adjust: bool = False) -> int:
        message = "adjust_group_capacity_forecast" if adjust else "update_group_capacity_forecast"
        status, _ = await self.post(message, {"group_id": group_id, "type": kind, "forecasted_blocks": blocks})
        return status

"""The OSCP 2.0 link to the Capacity Provider: registration, handshake, heartbeats, forecasts, measurements.

Registration works either way round. ladeplan registers with ``OSCP_PROVIDER_URL`` using the token
the provider issued out of band (``OSCP_REGISTRATION_TOKEN``), offering a fresh token of its own;
the provider answers 204 and then registers back with its token, authenticated with ours. Or the
provider starts, authenticated with the token ladeplan issued (``OSCP_INITIAL_TOKEN``), and
ladeplan registers back. Then ladeplan sends its Handshake (the heartbeat interval it requires),
answers the provider's Handshake with a HandshakeAcknowledgement and sends Heartbeats at the
interval the provider asked for.

Only the SHA-256 of ladeplan's token is kept; the provider's must be sent back, so it is stored
as received and never logged. The link's state lives in ``oscp_peer`` and, for the one process
that runs the link, in memory: every change goes through this object, so memory and row agree.

Capacity: CONSUMPTION forecasts become the location's limit per slot (``domain/capacity.py``);
once the provider's ``offline_mode_at`` passes without a new Heartbeat, the location falls back
to the FALLBACK_CONSUMPTION forecast or the configured ``fallback_kw``, and is replanned then
and again when the provider is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import math
import secrets
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog

from ems_adapter import repository as repo
from ems_adapter import repository_oscp as store
from ems_adapter.config import Settings
from ems_adapter.domain.capacity import ForecastBlock, Limit, effective_limits, long_term_kw, merge_blocks
from ems_adapter.domain.oscp import (
    VERSION,
    AssetMeasurement,
    GroupCapacityComplianceError,
    GroupCapacityForecast,
    Handshake,
    HandshakeAcknowledgement,
    Heartbeat,
    Register,
    RequiredBehaviour,
    UpdateAssetMeasurements,
    UpdateGroupMeasurements,
    VersionUrl,
    asset_measurement,
    energy_measurement,
    offline_mode_at,
)
from ems_adapter.oscp_client import OscpClient, OscpRequestFailed
from ems_adapter.use_cases.planning import delivered_so_far
from ladeplan_platform.db import transaction

log = structlog.get_logger("ems_adapter.oscp")

RETRY = timedelta(seconds=30)  # registration and handshake attempts that failed
TICK_S = 0.5
# The provider answers a Register by calling back at once, and the HTTP server listens only after the
# startup hooks (which start this link) have run: the first Register waits a moment.
FIRST_REGISTER_DELAY = timedelta(seconds=2)
PLANNED_TYPES = ("CONSUMPTION", "FALLBACK_CONSUMPTION")  # what ladeplan plans against
# ladeplan steers charging only: a generation forecast is one it cannot comply with.
UNSUPPORTED_TYPES = ("GENERATION", "FALLBACK_GENERATION")


def utc_now() -> datetime:
    return datetime.now(UTC)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OscpUnauthorized(Exception):
    """The request's ``Authorization: Token`` is missing or not one ladeplan issued."""


class OscpRejected(Exception):
    """A message that is well-formed JSON but cannot be accepted (answered 400 with ``code``)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Oscp:
    def __init__(
        self,
        pool: asyncpg.Pool,
        client: OscpClient,
        settings: Settings,
        request_replan: Callable[[str], None],
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._pool = pool
        self._client = client
        self._settings = settings
        self._request_replan = request_replan
        self._clock = clock
        self._peer = store.Peer()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._register_at: datetime | None = None  # next registration attempt
        self._handshake_at: datetime | None = None
        self._heartbeat_at: datetime | None = None
        self._measure_at: datetime | None = None
        self._fallback_active = False

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        groups = {group_id: group.location_id for group_id, group in self._settings.oscp_groups.items()}
        async with transaction(self._pool, "oscp.start") as conn:
            await store.sync_groups(conn, groups)
            self._peer = await store.load_peer(conn)
        now = self._clock()
        self._fallback_active = self.provider_offline(now)
        self._register_at = now + FIRST_REGISTER_DELAY
        self._spawn(self._run(), "oscp-link")

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- what planning asks ------------------------------------------------------------------------

    def provider_offline(self, now: datetime) -> bool:
        """Past the provider's last ``offline_mode_at`` (never heard from counts as online: no forecast yet)."""
        offline_at = self._peer.peer_offline_mode_at
        return offline_at is not None and now >= offline_at

    def locations(self) -> set[str]:
        """The locations planned within an OSCP provider's capacity."""
        settings = self._settings
        return {g.location_id for g in settings.oscp_groups.values() if settings.mode_of(g.location_id) == "oscp"}

    async def limits(self, conn: asyncpg.Connection, location_id: str, now: datetime) -> list[Limit]:
        """The capacity limits of ``location_id`` from its groups' forecasts (none outside OSCP mode)."""
        if location_id not in self.locations():
            return []
        consumption, fallback, fallback_kw = await self._forecasts(conn, location_id)
        return effective_limits(
            now, consumption, fallback, provider_offline=self.provider_offline(now), fallback_kw=fallback_kw
        )

    async def long_term_kw(
        self, conn: asyncpg.Connection, location_id: str, grid_limit_kw: float, now: datetime
    ) -> float | None:
        """What ``location_id`` may draw once its plan has run out, when the provider's fallback makes it
        less than the grid limit (``capacity.long_term_kw``); None outside OSCP mode."""
        if location_id not in self.locations():
            return None
        consumption, fallback, fallback_kw = await self._forecasts(conn, location_id)
        return long_term_kw(
            now,
            grid_limit_kw,
            consumption,
            fallback,
            provider_offline=self.provider_offline(now),
            fallback_kw=fallback_kw,
        )

    async def _forecasts(
        self, conn: asyncpg.Connection, location_id: str
    ) -> tuple[list[ForecastBlock], list[ForecastBlock], float | None]:
        """The consumption and fallback forecasts of the location's groups, and their lowest configured fallback."""
        groups = {i: g for i, g in self._settings.oscp_groups.items() if g.location_id == location_id}
        consumption = await store.forecast_blocks(conn, list(groups), "CONSUMPTION")
        fallback = await store.forecast_blocks(conn, list(groups), "FALLBACK_CONSUMPTION")
        fallbacks = [g.fallback_kw for g in groups.values() if g.fallback_kw is not None]
        return consumption, fallback, min(fallbacks) if fallbacks else None

    # -- incoming messages -----------------------------------------------------------------------

    def authenticate(self, authorization: str | None, *, registering: bool = False) -> bool:
        """Check ``Authorization: Token ...``; True when it was the out-of-band initial token (Register only)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "token" or not token.strip():  # auth schemes are case-insensitive (RFC 7235)
            raise OscpUnauthorized("An 'Authorization: Token <token>' header is required.")
        token = token.strip()
        ours = self._peer.our_token_sha256
        if ours is not None and hmac.compare_digest(token_sha256(token), ours):
            return False
        initial = self._settings.oscp_initial_token.get_secret_value()
        if registering and initial and hmac.compare_digest(token.encode(), initial.encode()):
            return True
        raise OscpUnauthorized("The token is not valid.")

    async def register(self, message: Register, *, initial: bool, request_id: str | None = None) -> None:
        base_url = message.base_url()
        if base_url is None:
            offered = ", ".join(item.version for item in message.version_url)
            raise OscpRejected("unsupported_version", f"No OSCP {VERSION} base URL offered (offered: {offered}).")
        peer = self._peer
        peer.peer_token, peer.peer_base_url = message.token, base_url
        peer.handshake_sent_at = peer.acknowledged_at = None
        if initial:
            # The provider started: it gets a token of ours in our own Register, sent after this 204.
            token = secrets.token_urlsafe(32)
            peer.our_token_sha256, peer.registered_at = token_sha256(token), None
            await self._save()
            self._spawn(self._register_back(token, request_id), "oscp-register-back")
        else:
            peer.registered_at = self._clock()
            await self._save()
            self._wake.set()
        log.info("oscp.registered_by_provider", base_url=base_url, initiated_by="provider" if initial else "ladeplan")

    async def handshake(self, message: Handshake, *, request_id: str | None = None) -> None:
        self._require_registered()
        behaviour = message.required_behaviour
        self._peer.heartbeat_interval_s = behaviour.heartbeat_interval
        self._peer.measurement_configuration = list(behaviour.measurement_configuration)
        await self._save()
        self._heartbeat_at = self._clock()  # the first heartbeat at once, then at the new interval
        self._spawn(self._acknowledge(request_id), "oscp-handshake-ack")
        log.info("oscp.handshake_received", heartbeat_interval_s=behaviour.heartbeat_interval,
                 measurement_configuration=behaviour.measurement_configuration)  # fmt: skip

    async def handshake_acknowledgement(self, message: HandshakeAcknowledgement) -> None:
        self._require_registered()
        self._peer.acknowledged_at = self._clock()
        await self._save()
        log.info("oscp.handshake_acknowledged")

    async def heartbeat(self, message: Heartbeat) -> None:
        self._require_registered()
        now = self._clock()
        if message.offline_mode_at <= now:
            raise OscpRejected("invalid_offline_mode_at", "offline_mode_at must lie in the future.")
        self._peer.peer_heartbeat_at, self._peer.peer_offline_mode_at = now, message.offline_mode_at
        await self._save()
        if self._fallback_active:
            self._fallback_active = False
            log.info("oscp.provider_online", offline_mode_at=message.offline_mode_at)
            self._replan_oscp_locations()

    async def capacity_forecast(
        self, message: GroupCapacityForecast, *, adjusted: bool = False, request_id: str | None = None
    ) -> None:
        """UpdateGroupCapacityForecast (from the provider) or AdjustGroupCapacityForecast (from an optimizer)."""
        self._require_registered()
        now = self._clock()
        if any(block.capacity < 0 for block in message.forecasted_blocks):
            raise OscpRejected("invalid_capacity", "A forecasted block's capacity must not be negative.")
        async with transaction(self._pool, "oscp.forecast") as conn:
            group = await store.lock_group(conn, message.group_id)
            if group is None:
                raise OscpRejected("unknown_group", f"Group {message.group_id!r} is not known here.")
            stored = await store.forecast_blocks(conn, [group.group_id], message.type)
            update = [block.block() for block in message.forecasted_blocks]
            merged = [block for block in merge_blocks(stored, update) if block.end > now]
            await store.replace_forecast(conn, group.group_id, message.type, merged, now)
        log.info("oscp.forecast_stored", group_id=group.group_id, type=message.type, adjusted=adjusted,
                 blocks=len(update), location_id=group.location_id)  # fmt: skip
        if message.type in UNSUPPORTED_TYPES:
            reason = f"ladeplan steers charging load only; it cannot follow a {message.type} forecast."
            error = GroupCapacityComplianceError(message=reason, forecasted_blocks=message.forecasted_blocks)
            answer = self._send_quietly("group_capacity_compliance_error", error, correlation_id=request_id)
            self._spawn(answer, "oscp-compliance-error")
        elif message.type in PLANNED_TYPES and group.location_id in self.locations():
            self._request_replan(group.location_id)

    def _require_registered(self) -> None:
        # The token was checked; a message before the provider's own Register has no base URL to answer to.
        if self._peer.peer_base_url is None or self._peer.peer_token is None:
            raise OscpRejected("not_registered", "Register first.")

    # -- outgoing messages -----------------------------------------------------------------------

    async def _save(self) -> None:
        async with transaction(self._pool, "oscp.peer") as conn:
            await store.save_peer(conn, self._peer)

    def _our_versions(self) -> list[VersionUrl]:
        return [VersionUrl(version=VERSION, base_url=self._settings.oscp_public_url)]

    def _our_behaviour(self) -> RequiredBehaviour:
        return RequiredBehaviour(heartbeat_interval=self._settings.oscp_heartbeat_interval_s)

    async def _send(
        self,
        message: str,
        body: Any,
        *,
        base_url: str | None = None,
        token: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """Send to the provider; ``correlation_id`` is the X-Request-ID of the message this one answers."""
        target = base_url or self._peer.peer_base_url
        secret = token or self._peer.peer_token
        if target is None or secret is None:
            raise OscpRequestFailed(f"{message}: not registered")
        await self._client.send(target, secret, message, body, correlation_id=correlation_id)

    async def _send_quietly(self, message: str, body: Any, *, correlation_id: str | None = None) -> None:
        try:
            await self._send(message, body, correlation_id=correlation_id)
        except OscpRequestFailed as exc:
            log.warning("oscp.send_failed", message=message, error=str(exc))

    async def _register_back(self, token: str, request_id: str | None) -> None:
        body = Register(token=token, version_url=self._our_versions())
        try:
            await self._send("register", body, correlation_id=request_id)
        except OscpRequestFailed as exc:
            # The provider must start again (with the initial token): ours is unknown to it.
            log.warning("oscp.register_back_failed", error=str(exc))
            return
        self._peer.registered_at = self._clock()
        await self._save()
        self._wake.set()

    async def _register(self, now: datetime) -> None:
        """ladeplan starts the registration (the provider registers back, see :meth:`register`)."""
        settings = self._settings
        issued = settings.oscp_registration_token.get_secret_value()
        if not settings.oscp_provider_url or not issued:
            return
        token = secrets.token_urlsafe(32)
        self._peer.our_token_sha256 = token_sha256(token)
        await self._save()
        body = Register(token=token, version_url=self._our_versions())
        try:
            await self._send("register", body, base_url=settings.oscp_provider_url, token=issued)
            log.info("oscp.register_sent", provider=settings.oscp_provider_url)
        except OscpRequestFailed as exc:
            log.warning("oscp.register_failed", error=str(exc))
        self._register_at = now + RETRY  # unless the provider registers back by then

    async def _handshake(self, now: datetime) -> None:
        try:
            await self._send("handshake", Handshake(required_behaviour=self._our_behaviour()))
        except OscpRequestFailed as exc:
            log.warning("oscp.handshake_failed", error=str(exc))
            self._handshake_at = now + RETRY
            return
        self._peer.handshake_sent_at = now
        await self._save()

    async def _acknowledge(self, request_id: str | None) -> None:
        body = HandshakeAcknowledgement(required_behaviour=self._our_behaviour())
        await self._send_quietly("handshake_acknowledgement", body, correlation_id=request_id)

    async def _heartbeat(self, now: datetime, interval_s: int) -> None:
        await self._send_quietly("heartbeat", Heartbeat(offline_mode_at=offline_mode_at(now, interval_s)))

    # -- the link's clock --------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                await self._tick(self._clock())
            except Exception:  # the database or the provider may be away for a moment; the next tick retries
                log.exception("oscp.tick_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_S)
            self._wake.clear()

    async def _tick(self, now: datetime) -> None:
        peer = self._peer
        if not peer.registered:
            if self._register_at is None or now >= self._register_at:
                await self._register(now)
            return
        if peer.handshake_sent_at is None and (self._handshake_at is None or now >= self._handshake_at):
            await self._handshake(now)
        interval = peer.heartbeat_interval_s
        if interval is not None and (self._heartbeat_at is None or now >= self._heartbeat_at):
            self._heartbeat_at = now + timedelta(seconds=interval)
            await self._heartbeat(now, interval)
        if self.provider_offline(now) and not self._fallback_active:
            self._fallback_active = True
            log.warning("oscp.provider_offline", offline_mode_at=peer.peer_offline_mode_at)
            self._replan_oscp_locations()
        if self._measure_at is None or now >= self._measure_at:
            self._measure_at = now + timedelta(seconds=self._settings.oscp_measurement_interval_s)
            await self._measure(now)

    def _replan_oscp_locations(self) -> None:
        for location_id in sorted(self.locations()):
            self._request_replan(location_id)

    async def _measure(self, now: datetime) -> None:
        """UpdateGroupMeasurements and UpdateAssetMeasurements for every group (estimates, see README)."""
        async with self._pool.acquire() as conn:
            groups = await store.groups(conn)
            readings = [(group, *await self._energy(conn, group.location_id, now)) for group in groups]
        for group, per_point, power in readings:
            total = sum(per_point.values())
            since = group.last_measured_at or now
            delta = max(total - (group.last_measured_kwh if group.last_measured_kwh is not None else total), 0.0)
            configuration = self._peer.measurement_configuration
            measurement = energy_measurement(total, delta, since, now, configuration)
            assets: list[AssetMeasurement] = [
                asset_measurement(point, kwh, power.get(point, 0.0), now) for point, kwh in sorted(per_point.items())
            ]
            group_body = UpdateGroupMeasurements(group_id=group.group_id, measurements=[measurement])
            asset_body = UpdateAssetMeasurements(group_id=group.group_id, measurements=assets)
            try:
                await self._send("update_group_measurements", group_body)
                if assets:
                    await self._send("update_asset_measurements", asset_body)
            except OscpRequestFailed as exc:
                log.warning("oscp.measurements_failed", group_id=group.group_id, error=str(exc))
                continue  # the next report covers this period too
            async with transaction(self._pool, "oscp.measured") as conn:
                await store.measured(conn, group.group_id, now, total)

    async def _energy(
        self, conn: asyncpg.Connection, location_id: str, now: datetime
    ) -> tuple[dict[str, float], dict[str, float]]:
        """Estimated energy so far and planned power now, per charge point of the location."""
        plan = await repo.latest_plan(conn, location_id)
        energy: dict[str, float] = {}
        for row in await store.location_energy(conn, location_id):
            kwh = float(row["delivered_kwh"])
            if row["ended_at"] is None:  # counted as the replan counts it: the meter's figure where one is pending
                kwh = delivered_so_far(plan, row["session_id"], kwh, row["delivered_until"], repo.measured_of(row), now)
            energy[row["charge_point_id"]] = energy.get(row["charge_point_id"], 0.0) + kwh
        power: dict[str, float] = {}
        if plan is not None:
            start = datetime.fromisoformat(plan["start"])
            slot = math.floor((now - start).total_seconds() / plan["slot_seconds"])
            for session in plan["sessions"]:
                if 0 <= slot < len(session["power_kw"]):
                    point = session["charge_point_id"]
                    power[point] = power.get(point, 0.0) + float(session["power_kw"][slot])
        return energy, power

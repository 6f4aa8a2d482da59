"""Who plans a location (``EMS_MODE``, ``EMS_MODE_BY_LOCATION``), as the replan asks it.

- ``builtin``: the optimiser against the location's grid limit.
- ``oscp``: the optimiser against the OSCP provider's forecast (or fallback) per slot, capped by
  the grid limit.
- ``external``: the last plan an external EMS sent (``PUT /api/v1/locations/{id}/plan``) while it
  lasts and still keeps the rules; the optimiser otherwise, so a location is never left unplanned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import structlog

from ems_adapter import repository as repo
from ems_adapter import repository_oscp as store
from ems_adapter.config import Settings
from ems_adapter.domain.capacity import Limit
from ems_adapter.domain.external_plan import PlanRejected, external_location_plan
from ems_adapter.domain.site import ActiveSession, LocationPlan, Tariff
from ems_adapter.use_cases.oscp import Oscp

log = structlog.get_logger("ems_adapter.sources")


class PlanSources:
    def __init__(self, settings: Settings, tariff: Tariff, oscp: Oscp | None = None) -> None:
        self._settings = settings
        self._tariff = tariff
        self._oscp = oscp

    async def limits(self, conn: asyncpg.Connection, location_id: str, now: datetime) -> list[Limit]:
        """Capacity limits below the grid limit (an OSCP forecast or fallback); none in other modes."""
        if self._oscp is None or self._settings.mode_of(location_id) != "oscp":
            return []
        return await self._oscp.limits(conn, location_id, now)

    async def long_term_kw(self, conn: asyncpg.Connection, location: repo.Location, now: datetime) -> float | None:
        """A safe limit below the grid limit that the caps' tails must keep (an OSCP fallback); None otherwise."""
        if self._oscp is None or self._settings.mode_of(location.location_id) != "oscp":
            return None
        return await self._oscp.long_term_kw(conn, location.location_id, location.grid_limit_kw, now)

    async def external(
        self, conn: asyncpg.Connection, location: repo.Location, sessions: Sequence[ActiveSession], now: datetime
    ) -> LocationPlan | None:
        """The external EMS's plan from now on; None when the optimiser plans (other mode, no plan, or it broke)."""
        if self._settings.mode_of(location.location_id) != "external":
            return None
        plan = await store.external_plan(conn, location.location_id)
        if plan is None or plan.end() <= now:
            return None
        try:
            return external_location_plan(
                plan,
                sessions,
                now,
                grid_limit_kw=location.grid_limit_kw,
                charge_points=len(location.units),
                tariff=self._tariff,
                timezone=location.timezone,
                limits=await self.limits(conn, location.location_id, now),
                strict=False,
                slot_seconds=self._settings.ems_slot_seconds,
            )
        except PlanRejected as exc:
            # Sessions or limits changed since it was accepted: the optimiser keeps the site safe meanwhile.
            log.warning("external_plan.no_longer_valid", location_id=location.location_id, faults=exc.faults[:5])
            return None

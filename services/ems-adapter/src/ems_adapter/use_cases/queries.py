"""Reads for the operator API."""

from __future__ import annotations

import asyncpg

from ems_adapter import repository as repo
from ems_adapter import repository_checks as checks_repo
from ems_adapter.api_models import ChargePointView, LocationChargePoints, ProfileCheck
from ladeplan_contracts.ems import PlanUpdated


class PlanQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def latest(self, location_id: str) -> PlanUpdated | None:
        """The location's current plan, as last published in ``ems.plan.updated``."""
        async with self._pool.acquire() as conn:
            document = await repo.latest_plan(conn, location_id)
        return None if document is None else PlanUpdated.model_validate(document)

    async def charge_points(self, location_id: str) -> LocationChargePoints | None:
        """The location's charge points with the last read-back of their profiles; None: unknown location."""
        async with self._pool.acquire() as conn:
            rows = await checks_repo.checks_of_location(conn, location_id)
        if rows is None:
            return None
        views = [
            ChargePointView(
                charge_point_id=row.charge_point_id,
                profile_check=None
                if row.checked_at is None or row.verdict is None
                else ProfileCheck(
                    checked_at=row.checked_at,
                    verdict=row.verdict,
                    detail=row.detail,
                    evse_id=row.evse_id,
                    differs_at=row.differs_at,
                    expected_kw=row.expected_kw,
                    reported_kw=row.reported_kw,
                ),
            )
            for row in rows
        ]
        return LocationChargePoints(location_id=location_id, charge_points=views)

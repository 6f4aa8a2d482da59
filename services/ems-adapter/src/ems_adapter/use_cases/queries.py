"""Reads for the operator API."""

from __future__ import annotations

import asyncpg

from ems_adapter import repository as repo
from ladeplan_contracts.ems import PlanUpdated


class PlanQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def latest(self, location_id: str) -> PlanUpdated | None:
        """The location's current plan, as last published in ``ems.plan.updated``."""
        async with self._pool.acquire() as conn:
            document = await repo.latest_plan(conn, location_id)
        return None if document is None else PlanUpdated.model_validate(document)

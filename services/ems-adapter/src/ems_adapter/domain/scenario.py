"""The JSON scenario of ``ladeplan ems plan``: read into a ``SiteProblem``, plan written back.

Input: ``{"slot_minutes", "start", "site_limit_kw": [per slot], "price_eur_per_kwh": [per slot],
"vehicles": [{"id", "arrival", "departure", "energy_kwh", "max_power_kw", "min_power_kw"}]}``.
A vehicle may use the slots wholly inside [arrival, departure): arrival rounds up to a slot
boundary and departure down, so no power is planned while the car may be gone.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from .model import Plan, SiteProblem, VehicleDemand, plan_cost_eur


class ScenarioVehicle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    arrival: AwareDatetime
    departure: AwareDatetime
    energy_kwh: float = Field(ge=0)
    max_power_kw: float = Field(ge=0)
    min_power_kw: float = Field(default=0.0, ge=0)


class Scenario(BaseModel):
    """One site, one horizon; the input of ``ladeplan ems plan``."""

    model_config = ConfigDict(extra="forbid")

    slot_minutes: int = Field(gt=0, le=1440)
    start: AwareDatetime
    site_limit_kw: list[float] = Field(min_length=1)
    price_eur_per_kwh: list[float]
    vehicles: list[ScenarioVehicle] = []

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if len(self.price_eur_per_kwh) != len(self.site_limit_kw):
            raise ValueError("site_limit_kw and price_eur_per_kwh need the same number of slots")
        if len({vehicle.id for vehicle in self.vehicles}) != len(self.vehicles):
            raise ValueError("vehicle ids must be unique")
        for vehicle in self.vehicles:
            if vehicle.min_power_kw > vehicle.max_power_kw:
                raise ValueError(f"vehicle {vehicle.id}: min_power_kw above max_power_kw")
        return self

    def slot_of(self, moment: datetime, *, round_up: bool) -> int:
        offset = (moment - self.start) / timedelta(minutes=self.slot_minutes)
        return math.ceil(offset - 1e-9) if round_up else math.floor(offset + 1e-9)

    def problem(self) -> SiteProblem:
        vehicles = [
            VehicleDemand(
                id=item.id,
                first_slot=self.slot_of(item.arrival, round_up=True),
                end_slot=self.slot_of(item.departure, round_up=False),
                energy_kwh=item.energy_kwh,
                max_power_kw=item.max_power_kw,
                min_power_kw=item.min_power_kw,
            )
            for item in self.vehicles
        ]
        return SiteProblem(
            slot_hours=self.slot_minutes / 60,
            capacity_kw=np.asarray(self.site_limit_kw, dtype=np.float64),
            price_eur_per_kwh=np.asarray(self.price_eur_per_kwh, dtype=np.float64),
            vehicles=vehicles,
        )


def plan_document(plan: Plan, problem: SiteProblem) -> dict[str, Any]:
    """The output document: per-vehicle power per slot and the plan's totals (kW to 3 decimals)."""
    return {
        "vehicles": [
            {"id": vehicle_id, "power_kw": [round(float(value), 3) for value in plan.power_kw[index]]}
            for index, vehicle_id in enumerate(plan.vehicle_ids)
        ],
        "energy_delivered_kwh": round(float(plan.energy_kwh().sum()), 3),
        "cost_eur": round(plan_cost_eur(plan, problem.price_eur_per_kwh), 4),
        "peak_kw": round(float(plan.site_kw().max(initial=0.0)), 3),
    }

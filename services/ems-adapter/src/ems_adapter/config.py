"""Settings of ems-adapter; the environment names are shared with compose and Heroku (docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from ems_adapter.domain.site import Tariff
from ladeplan_platform.migrations import MigrationSet
from ladeplan_platform.settings import ServiceSettings

SERVICE = "ems-adapter"
SCHEMA = "ems"
DEFAULT_PORT = 8085
MIGRATIONS = MigrationSet(SCHEMA, Path(__file__).resolve().parents[2] / "migrations")


class Settings(ServiceSettings):
    ems_tariff: str = Field(
        default="0:0.18,6:0.28,17:0.40,20:0.28,22:0.18",
        description="Time-of-use energy price, EUR/kWh from each local hour on (EMS_TARIFF).",
    )
    ems_replan_interval_s: float = Field(
        default=900.0,
        gt=0,
        le=900,
        description="Replan every location with sessions this often (EMS_REPLAN_INTERVAL_S).",
    )
    command_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="How long a SetChargingProfile waits for the charge point (COMMAND_TIMEOUT_S).",
    )

    @field_validator("ems_tariff")
    @classmethod
    def _tariff_parses(cls, value: str) -> str:
        Tariff.parse(value)
        return value

    @property
    def tariff(self) -> Tariff:
        return Tariff.parse(self.ems_tariff)

"""Settings of ems-adapter; the environment names are shared with compose and Heroku (docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from ems_adapter.domain.site import Tariff
from ladeplan_platform.migrations import MigrationSet
from ladeplan_platform.settings import ServiceSettings

SERVICE = "ems-adapter"
SCHEMA = "ems"
DEFAULT_PORT = 8085
MIGRATIONS = MigrationSet(SCHEMA, Path(__file__).resolve().parents[2] / "migrations")
OSCP_PATH = "/oscp/fp/2.0"
EmsMode = Literal["builtin", "oscp", "external"]


class OscpGroup(BaseModel):
    """An OSCP group (the provider's name for a connection) and the location it is."""

    location_id: str = Field(min_length=1)
    fallback_kw: float | None = Field(
        default=None, ge=0, description="What the location may draw while the provider is offline."
    )


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
    ems_slot_seconds: int = Field(
        default=900,
        ge=1,
        le=3600,
        description="Length of a planning slot in seconds; profiles change at most once a slot. Divides an hour "
        "(EMS_SLOT_SECONDS).",
    )
    ems_forecast_history_days: int = Field(
        default=28,
        ge=0,
        le=366,
        description="Days of a location's completed sessions its demand forecast learns from, once a local day; "
        "0 plans work-conserving without one (EMS_FORECAST_HISTORY_DAYS).",
    )

    ems_mode: EmsMode = Field(
        default="builtin",
        description="Who plans a location: the built-in optimiser, it within an OSCP provider's capacity, or an "
        "external EMS through the demand/plan API (EMS_MODE).",
    )
    ems_mode_by_location: dict[str, EmsMode] = Field(
        default_factory=dict,
        description='Per-location exceptions, JSON {"<location id>": "<mode>"} (EMS_MODE_BY_LOCATION).',
    )
    oscp_groups: dict[str, OscpGroup] = Field(
        default_factory=dict,
        description='OSCP group ids and their locations, JSON {"<group id>": {"location_id": ..., "fallback_kw": ...}} '
        "(OSCP_GROUPS).",
    )
    oscp_provider_url: str = Field(
        default="", description="The Capacity Provider's OSCP 2.0 base URL, to register with it (OSCP_PROVIDER_URL)."
    )
    oscp_registration_token: SecretStr = Field(
        default=SecretStr(""),
        description="Token the provider issued to ladeplan out of band, for ladeplan's first Register "
        "(OSCP_REGISTRATION_TOKEN).",
    )
    oscp_initial_token: SecretStr = Field(
        default=SecretStr(""),
        description="Token ladeplan issued to the provider out of band, for the provider's first Register "
        "(OSCP_INITIAL_TOKEN).",
    )
    oscp_public_url: str = Field(
        default=f"http://127.0.0.1:{DEFAULT_PORT}{OSCP_PATH}",
        description="ladeplan's OSCP 2.0 base URL as the provider reaches it (OSCP_PUBLIC_URL).",
    )
    oscp_heartbeat_interval_s: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="Heartbeat interval ladeplan requires of the provider (OSCP_HEARTBEAT_INTERVAL_S).",
    )
    oscp_measurement_interval_s: float = Field(
        default=900.0,
        gt=0,
        le=86400,
        description="How often measurements go to the provider (OSCP_MEASUREMENT_INTERVAL_S).",
    )
    oscp_request_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="Timeout of one OSCP request to the provider (OSCP_REQUEST_TIMEOUT_S)."
    )

    def mode_of(self, location_id: str) -> EmsMode:
        return self.ems_mode_by_location.get(location_id, self.ems_mode)

    @property
    def oscp_enabled(self) -> bool:
        return bool(self.oscp_groups)

    @field_validator("ems_slot_seconds")
    @classmethod
    def _slot_divides_an_hour(cls, value: int) -> int:
        # Slots align with hours so the tariff, hourly planning blocks and the change filter's hour stay whole.
        if 3600 % value:
            raise ValueError(f"EMS_SLOT_SECONDS must divide 3600, got {value}")
        return value

    @field_validator("ems_tariff")
    @classmethod
    def _tariff_parses(cls, value: str) -> str:
        Tariff.parse(value)
        return value

    @property
    def tariff(self) -> Tariff:
        return Tariff.parse(self.ems_tariff)

"""Settings of masterdata; the environment names are shared with compose and Heroku (docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ladeplan_platform.migrations import MigrationSet
from ladeplan_platform.settings import ServiceSettings

SERVICE = "masterdata"
SCHEMA = "masterdata"
DEFAULT_PORT = 8081
MIGRATIONS = MigrationSet(SCHEMA, Path(__file__).resolve().parents[2] / "migrations")


class Settings(ServiceSettings):
    command_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="How long an operator command waits for the charge point when the body names no timeout_s "
        "(COMMAND_TIMEOUT_S).",
    )

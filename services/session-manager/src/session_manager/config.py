"""Settings of session-manager; the environment names are shared with compose and Heroku (docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ladeplan_platform.migrations import MigrationSet
from ladeplan_platform.settings import ServiceSettings

SERVICE = "session-manager"
SCHEMA = "sessions"
DEFAULT_PORT = 8082
MIGRATIONS = MigrationSet(SCHEMA, Path(__file__).resolve().parents[2] / "migrations")


class Settings(ServiceSettings):
    command_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="How long a remote start/stop waits for the charge point's answer (COMMAND_TIMEOUT_S).",
    )
    transactions_window: int = Field(
        default=1000,
        ge=1,
        description="Unacknowledged transaction messages taken at once, in queue order (TRANSACTIONS_WINDOW).",
    )
    transactions_max_batch: int = Field(
        default=500,
        ge=1,
        description="Most transaction messages stored in one database transaction (TRANSACTIONS_MAX_BATCH).",
    )
    session_energy_event_interval_s: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Least time between two session.energy.measured events of one session (SESSION_ENERGY_EVENT_INTERVAL_S)."
        ),
    )

"""Settings of receipts; the environment names are shared with compose and Heroku (docs/configuration.md)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field

from ladeplan_platform.migrations import MigrationSet
from ladeplan_platform.settings import ServiceSettings

SERVICE = "receipts"
SCHEMA = "receipts"
DEFAULT_PORT = 8083
MIGRATIONS = MigrationSet(SCHEMA, Path(__file__).resolve().parents[2] / "migrations")

# Ten years' legal retention of billing records plus up to one year until the bill is issued.
DEFAULT_RETENTION_DAYS = 4018
MINIMUM_RETENTION_DAYS = 3653


class Settings(ServiceSettings):
    receipts_retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS,
        ge=MINIMUM_RETENTION_DAYS,
        description=(
            "How long signed records and receipts are kept (RECEIPTS_RETENTION_DAYS): the billing period plus "
            "the legal retention. Stamped on every record as retain_until; nothing is deleted before it."
        ),
    )

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.receipts_retention_days)

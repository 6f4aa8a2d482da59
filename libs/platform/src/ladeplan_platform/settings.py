"""Settings common to every service; the names are the same locally, in compose and on Heroku."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str = Field(default="postgresql://postgres@127.0.0.1:5432/ladeplan")
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/",
        validation_alias=AliasChoices("AMQP_URL", "CLOUDAMQP_URL", "amqp_url"),
    )
    operator_api_keys: str = Field(default="", description="Comma-separated static operator bearer keys.")
    db_pool_max_size: int = 10
    # Heroku's PgBouncer runs in transaction mode, where prepared statements must not be cached.
    db_statement_cache_size: int = 100
    bus_prefetch: int = 64
    host: str = "0.0.0.0"

    @field_validator("database_url")
    @classmethod
    def _accept_heroku_scheme(cls, value: str) -> str:
        # Heroku hands out postgres://, which SQLAlchemy (migrations) does not accept.
        if value.startswith("postgres://"):
            return "postgresql://" + value.removeprefix("postgres://")
        return value

    @property
    def operator_keys(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.operator_api_keys.split(",") if k.strip())

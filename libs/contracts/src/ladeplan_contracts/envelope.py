"""The envelope every bus message travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Contract(BaseModel):
    """Base of every message body. ``TYPE`` is the routing key (events) or queue name (RPC)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1


BodyT = TypeVar("BodyT", bound=Contract)


class Envelope(BaseModel, Generic[BodyT]):
    """Metadata around a message body; trace context travels in AMQP headers, not here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: str = Field(description="Unique id; consumers deduplicate on it.")
    type: str = Field(description="Routing key / message type, e.g. transaction.ended.")
    schema_version: int = 1
    occurred_at: datetime
    correlation_id: str | None = None
    causation_id: str | None = None
    charge_point_id: str | None = None
    data: BodyT


def new_envelope(
    body: BodyT,
    *,
    charge_point_id: str | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    message_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope[BodyT]:
    """Wrap ``body`` with a fresh message id and the current time."""
    envelope: Envelope[BodyT] = Envelope[type(body)](  # type: ignore[misc,operator]
        message_id=message_id or str(uuid.uuid4()),
        type=body.TYPE,
        schema_version=body.SCHEMA_VERSION,
        occurred_at=occurred_at or datetime.now(UTC),
        correlation_id=correlation_id,
        causation_id=causation_id,
        charge_point_id=charge_point_id,
        data=body,
    )
    return envelope


def parse_envelope(raw: bytes | str | dict[str, Any], body_type: type[BodyT]) -> Envelope[BodyT]:
    """Decode an envelope whose body must be ``body_type``."""
    if isinstance(raw, dict):
        return Envelope[body_type].model_validate(raw)  # type: ignore[valid-type]
    return Envelope[body_type].model_validate_json(raw)  # type: ignore[valid-type]

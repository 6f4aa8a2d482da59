"""Events on ``ladeplan.events``; ``TYPE`` is the routing key ``<domain>.<entity>.<event>``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ladeplan_contracts.envelope import Contract
from ladeplan_contracts.meter import MeterValue

OcppVersion = Literal["1.6", "2.0.1", "2.1"]


class ChargePointConnected(Contract):
    """A charge point's websocket was accepted by a gateway node."""

    TYPE = "chargepoint.connection.opened"
    charge_point_id: str
    ocpp_version: OcppVersion
    node_id: str
    epoch: int
    remote_address: str | None = None


class ChargePointDisconnected(Contract):
    TYPE = "chargepoint.connection.closed"
    charge_point_id: str
    node_id: str
    epoch: int
    reason: str | None = None


class ChargePointBooted(Contract):
    """BootNotification of any OCPP version."""

    TYPE = "chargepoint.boot.notified"
    charge_point_id: str
    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    reason: str | None = None


class ConnectorStatusChanged(Contract):
    """StatusNotification: ``connector_id`` 0 means the whole charge point (1.6) or EVSE-less status."""

    TYPE = "chargepoint.status.changed"
    charge_point_id: str
    evse_id: int
    connector_id: int
    status: str
    error_code: str | None = None
    timestamp: datetime | None = None


class TransactionStarted(Contract):
    """A transaction was recorded by session-manager (published from its outbox)."""

    TYPE = "transaction.started"
    session_id: str
    charge_point_id: str
    evse_id: int
    connector_id: int
    transaction_ref: str
    token_uid: str | None
    authorization_status: str
    started_at: datetime
    meter_start_wh: int | None


SIGNED_METER_VALUES_ROUTING_KEY = "transaction.signed_meter_values"
"""Routing key of a ``transaction.meter_values`` message that carries signed data (see MeterValuesReported)."""


class MeterValuesReported(Contract):
    """Meter values of a running transaction (or of a connector, when ``transaction_ref`` is None).

    Published under ``transaction.signed_meter_values`` when any of its values carries signed data,
    else under ``transaction.meter_values``; the message type is ``transaction.meter_values`` either
    way. A consumer that keeps signed data only (receipts) binds the first key and is spared the
    bulk of all traffic; ``transaction.*`` matches both.
    """

    TYPE = "transaction.meter_values"
    ALSO_ROUTED_AS = (SIGNED_METER_VALUES_ROUTING_KEY,)
    charge_point_id: str
    evse_id: int
    connector_id: int
    transaction_ref: str | None
    meter_values: list[MeterValue]
    ocpp_message_id: str

    def routing_key(self) -> str:
        signed = any(sample.carries_signed_data for value in self.meter_values for sample in value.sampled_values)
        return SIGNED_METER_VALUES_ROUTING_KEY if signed else self.TYPE


class TransactionEnded(Contract):
    """StopTransaction (1.6) or TransactionEvent Ended (2.x)."""

    TYPE = "transaction.ended"
    charge_point_id: str
    transaction_ref: str
    stopped_at: datetime
    meter_stop_wh: int | None = None
    reason: str | None = None
    token_uid: str | None = None
    meter_values: list[MeterValue] = []
    ocpp_message_id: str


class SessionCompleted(Contract):
    """A charging session is closed with its delivered energy."""

    TYPE = "session.completed"
    session_id: str
    charge_point_id: str
    evse_id: int
    connector_id: int
    transaction_ref: str
    token_uid: str | None
    user_id: str | None
    started_at: datetime
    ended_at: datetime
    energy_wh: int
    stop_reason: str | None


class SessionEnergyMeasured(Contract):
    """Energy a running session drew so far, by its meter; at most one per session per interval.

    Published by session-manager from the meter values it stores, so that a planner can learn
    what a car really drew without consuming every ``transaction.meter_values``.
    """

    TYPE = "session.energy.measured"
    session_id: str
    charge_point_id: str
    transaction_ref: str
    energy_kwh: float
    measured_at: datetime
    """The timestamp of the meter reading the energy comes from (the charge point's clock)."""


class LocationCreated(Contract):
    TYPE = "masterdata.location.created"
    location_id: str
    name: str
    timezone: str
    grid_limit_kw: float


class Connector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    connector_id: int
    max_power_kw: float


class ChargePointCreated(Contract):
    TYPE = "masterdata.chargepoint.created"
    charge_point_id: str
    location_id: str
    connectors: list[Connector]


class UserCreated(Contract):
    TYPE = "masterdata.user.created"
    user_id: str
    email: str
    name: str


TokenStatus = Literal["active", "blocked", "expired"]


class TokenCreated(Contract):
    TYPE = "masterdata.token.created"
    uid: str
    type: str
    user_id: str
    status: TokenStatus


class TokenUpdated(Contract):
    TYPE = "masterdata.token.updated"
    uid: str
    type: str
    user_id: str
    status: TokenStatus

"""Version-neutral commands about the charge point itself: reset, availability, settings, reports, firmware, logs.

Each model is one operator action. The gateway maps it to the CALL of the charge point's OCPP
version (1.6, 2.0.1 or 2.1) and answers ``not_supported`` when that version has no such message.
The models join ``CommandBody`` in :mod:`ladeplan_contracts.commands`, discriminated by ``kind``.

Settings are addressed the way each version names them: ``get_configuration``/``set_configuration``
carry OCPP 1.6 configuration keys, ``get_variables``/``set_variables`` carry OCPP 2.x
component/variable pairs. The two namespaces do not translate one to one (2.x split and renamed
most 1.6 keys), so a silent translation would change other settings than the operator meant.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, model_validator

_MODEL = ConfigDict(extra="forbid", frozen=True)

RequestId = Annotated[int, Field(ge=0, le=2**31 - 1, description="Echoed in the charge point's later reports.")]
"""OCPP integers are 32-bit signed."""

EvseId = Annotated[int, Field(ge=1, le=2**31 - 1)]
ConnectorId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Identifier = Annotated[str, Field(min_length=1, max_length=50)]


class Reset(BaseModel):
    """Restart the charge point, or (2.x) one EVSE.

    ``soft``/``hard`` are OCPP 1.6's two resets; ``immediate``/``on_idle`` are 2.x's. 2.x has no
    soft/hard distinction, so both become ``Immediate`` there (running transactions are stopped,
    as a 1.6 reset does). 1.6 cannot wait for idle: ``on_idle`` is not supported on 1.6.
    """

    model_config = _MODEL

    kind: Literal["reset"] = "reset"
    mode: Literal["soft", "hard", "immediate", "on_idle"]
    evse_id: EvseId | None = Field(default=None, description="2.x only: reset this EVSE alone.")


class UnlockConnector(BaseModel):
    """Release the cable lock of a connector. OCPP 1.6 numbers connectors only: there ``evse_id`` is the connector."""

    model_config = _MODEL

    kind: Literal["unlock_connector"] = "unlock_connector"
    evse_id: EvseId
    connector_id: ConnectorId = 1


class ChangeAvailability(BaseModel):
    """Make the charge point, an EVSE or (2.x) one connector operative or inoperative."""

    model_config = _MODEL

    kind: Literal["change_availability"] = "change_availability"
    operative: bool
    evse_id: EvseId | None = Field(default=None, description="None: the whole charge point.")
    connector_id: ConnectorId | None = Field(default=None, description="2.x only; needs evse_id.")

    @model_validator(mode="after")
    def _connector_needs_evse(self) -> ChangeAvailability:
        if self.connector_id is not None and self.evse_id is None:
            raise ValueError("connector_id needs evse_id")
        return self


class GetConfiguration(BaseModel):
    """OCPP 1.6 GetConfiguration: the values of ``keys``, or of every key when empty. 2.x: use get_variables."""

    model_config = _MODEL

    kind: Literal["get_configuration"] = "get_configuration"
    keys: list[Identifier] = Field(default_factory=list, max_length=100)


class SetConfiguration(BaseModel):
    """OCPP 1.6 ChangeConfiguration of one key. 2.x: use set_variables."""

    model_config = _MODEL

    kind: Literal["set_configuration"] = "set_configuration"
    key: Identifier
    value: str = Field(max_length=500)


class VariableRef(BaseModel):
    """An OCPP 2.x device model variable: component (with instance and EVSE) and variable (with instance)."""

    model_config = _MODEL

    component: Identifier
    component_instance: Identifier | None = None
    evse_id: EvseId | None = None
    connector_id: ConnectorId | None = Field(default=None, description="Needs evse_id.")
    variable: Identifier
    variable_instance: Identifier | None = None
    attribute: Literal["actual", "target", "min_set", "max_set"] = "actual"

    @model_validator(mode="after")
    def _connector_needs_evse(self) -> VariableRef:
        if self.connector_id is not None and self.evse_id is None:
            raise ValueError("connector_id needs evse_id")
        return self


class VariableValue(VariableRef):
    value: str = Field(max_length=1000)


class GetVariables(BaseModel):
    """OCPP 2.x GetVariables. 1.6: use get_configuration."""

    model_config = _MODEL

    kind: Literal["get_variables"] = "get_variables"
    variables: list[VariableRef] = Field(min_length=1, max_length=100)


class SetVariables(BaseModel):
    """OCPP 2.x SetVariables; ``accepted`` only when every variable was accepted. 1.6: use set_configuration."""

    model_config = _MODEL

    kind: Literal["set_variables"] = "set_variables"
    variables: list[VariableValue] = Field(min_length=1, max_length=100)


class GetBaseReport(BaseModel):
    """OCPP 2.x GetBaseReport; the report arrives as ``chargepoint.device_report.received`` events."""

    model_config = _MODEL

    kind: Literal["get_base_report"] = "get_base_report"
    request_id: RequestId
    report: Literal["configuration_inventory", "full_inventory", "summary_inventory"]


TriggerableMessage = Literal[
    "boot_notification",
    "heartbeat",
    "status_notification",
    "meter_values",
    "firmware_status",
    "log_status",
    "transaction_event",
]
"""``log_status``: 1.6 DiagnosticsStatusNotification, 2.x LogStatusNotification; ``transaction_event``: 2.x only."""


class TriggerMessage(BaseModel):
    """Ask the charge point to send a message now (e.g. its status after a doubtful reconnect)."""

    model_config = _MODEL

    kind: Literal["trigger_message"] = "trigger_message"
    message: TriggerableMessage
    evse_id: EvseId | None = None
    connector_id: ConnectorId | None = Field(default=None, description="2.x only; needs evse_id.")

    @model_validator(mode="after")
    def _connector_needs_evse(self) -> TriggerMessage:
        if self.connector_id is not None and self.evse_id is None:
            raise ValueError("connector_id needs evse_id")
        return self


class ClearCache(BaseModel):
    """Empty the charge point's authorisation cache."""

    model_config = _MODEL

    kind: Literal["clear_cache"] = "clear_cache"


class DataTransfer(BaseModel):
    """A vendor-specific message. OCPP 1.6 carries ``data`` as text: other JSON is sent serialised."""

    model_config = _MODEL

    kind: Literal["data_transfer"] = "data_transfer"
    vendor_id: str = Field(min_length=1, max_length=255)
    message_id: Identifier | None = None
    data: JsonValue = None


class UpdateFirmware(BaseModel):
    """Download and install firmware; progress arrives as ``chargepoint.firmware.status_notified`` events.

    OCPP 1.6's UpdateFirmware cannot carry a signature, an install time or a request id: a signed
    update is not supported on 1.6, and the other two are dropped there.
    """

    model_config = _MODEL

    kind: Literal["update_firmware"] = "update_firmware"
    location: str = Field(min_length=1, max_length=512, description="URL the charge point downloads from.")
    retrieve_at: AwareDatetime
    install_at: AwareDatetime | None = Field(default=None, description="2.x only.")
    retries: int | None = Field(default=None, ge=0, le=100)
    retry_interval_s: int | None = Field(default=None, ge=0, le=86_400)
    request_id: RequestId | None = Field(default=None, description="2.x; the gateway numbers it when absent.")
    signing_certificate: str | None = Field(default=None, max_length=5500, description="2.x only (PEM).")
    signature: str | None = Field(default=None, max_length=800, description="2.x only (base64).")


class GetLog(BaseModel):
    """Upload a log to ``location``: 1.6 GetDiagnostics (diagnostics only), 2.x GetLog.

    Progress arrives as ``chargepoint.log_upload.status_notified`` events.
    """

    model_config = _MODEL

    kind: Literal["get_log"] = "get_log"
    location: str = Field(min_length=1, max_length=512, description="URL the charge point uploads to.")
    log_type: Literal["diagnostics", "security"] = "diagnostics"
    oldest: AwareDatetime | None = None
    latest: AwareDatetime | None = None
    retries: int | None = Field(default=None, ge=0, le=100)
    retry_interval_s: int | None = Field(default=None, ge=0, le=86_400)
    request_id: RequestId | None = Field(default=None, description="2.x; the gateway numbers it when absent.")

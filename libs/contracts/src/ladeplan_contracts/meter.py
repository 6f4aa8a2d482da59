"""Meter readings as they travel on the bus: values kept exactly as the charge point sent them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


def looks_signed(value: str) -> bool:
    """A plain sampled value that is signed data anyway: OCMF as text or hex (some 1.6 charge points omit format)."""
    text = value.lstrip()
    return text.startswith("OCMF|") or text[:10].upper() == "4F434D467C"


class SignedMeterValue(BaseModel):
    """Signed data passed through byte for byte (OCPP 2.x ``signedMeterValue`` or 1.6 ``SignedData``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signed_meter_data: str
    signing_method: str | None = None
    encoding_method: str | None = None
    public_key: str | None = None


class SampledValue(BaseModel):
    """One sampled value. ``value`` is the exact text of the frame: never rounded or re-encoded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str
    measurand: str = "Energy.Active.Import.Register"
    unit: str | None = None
    multiplier: int = Field(default=0, description="Power of ten the value is scaled by (OCPP 2.x unitOfMeasure).")
    phase: str | None = None
    context: str | None = None
    location: str | None = None
    format: str | None = Field(default=None, description="1.6 ValueFormat: Raw or SignedData.")
    signed: SignedMeterValue | None = None

    @property
    def carries_signed_data(self) -> bool:
        """Whether this value is signed data that calibration law (Eichrecht) requires to be kept."""
        return self.signed is not None or looks_signed(self.value)


class MeterValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timestamp: datetime
    sampled_values: list[SampledValue]

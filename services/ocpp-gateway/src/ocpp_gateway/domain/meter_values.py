"""OCPP meter values to contract meter values, for 1.6 and 2.x, keeping every value's exact text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ladeplan_contracts.meter import MeterValue, SampledValue, SignedMeterValue

ENERGY_REGISTER = "Energy.Active.Import.Register"


def _text(value: Any) -> str:
    # 2.x values are JSON numbers; the gateway parses them as Decimal so "12.30" stays "12.30".
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def from_v16(meter_value: list[dict[str, Any]]) -> list[MeterValue]:
    """1.6 ``meterValue`` (snake_case keys). ``SignedData`` values carry the signed string itself."""
    result = []
    for item in meter_value:
        samples = []
        for sv in item.get("sampled_value", []):
            signed = None
            if sv.get("format") == "SignedData":
                signed = SignedMeterValue(signed_meter_data=sv["value"])
            samples.append(
                SampledValue(
                    value=sv["value"],
                    measurand=sv.get("measurand") or ENERGY_REGISTER,
                    unit=sv.get("unit") or ("Wh" if not sv.get("measurand") else None),
                    phase=sv.get("phase"),
                    context=sv.get("context"),
                    location=sv.get("location"),
                    format=sv.get("format"),
                    signed=signed,
                )
            )
        result.append(MeterValue(timestamp=item["timestamp"], sampled_values=samples))
    return result


def from_v2(meter_value: list[dict[str, Any]]) -> list[MeterValue]:
    """2.0.1/2.1 ``meterValue`` (snake_case keys), ``signedMeterValue`` passed through untouched."""
    result = []
    for item in meter_value:
        samples = []
        for sv in item.get("sampled_value", []):
            unit_of_measure = sv.get("unit_of_measure") or {}
            signed_raw = sv.get("signed_meter_value")
            signed = (
                SignedMeterValue(
                    signed_meter_data=signed_raw["signed_meter_data"],
                    signing_method=signed_raw.get("signing_method"),
                    encoding_method=signed_raw.get("encoding_method"),
                    public_key=signed_raw.get("public_key"),
                )
                if signed_raw
                else None
            )
            measurand = sv.get("measurand") or ENERGY_REGISTER
            samples.append(
                SampledValue(
                    value=_text(sv["value"]),
                    measurand=measurand,
                    # 2.x: the unit defaults to Wh for energy when unitOfMeasure is absent.
                    unit=unit_of_measure.get("unit") or ("Wh" if measurand.startswith("Energy") else None),
                    multiplier=int(unit_of_measure.get("multiplier", 0)),
                    phase=sv.get("phase"),
                    context=sv.get("context"),
                    location=sv.get("location"),
                    format="SignedData" if signed else None,
                    signed=signed,
                )
            )
        result.append(MeterValue(timestamp=item["timestamp"], sampled_values=samples))
    return result


def energy_register_wh(meter_values: list[MeterValue], *, contexts: tuple[str, ...]) -> int | None:
    """The last energy register reading in Wh among ``contexts``; None when there is none."""
    reading: int | None = None
    for mv in meter_values:
        for sv in mv.sampled_values:
            if sv.measurand != ENERGY_REGISTER or sv.phase or (sv.context or "Sample.Periodic") not in contexts:
                continue
            try:
                value = Decimal(sv.value) * (Decimal(10) ** sv.multiplier)
            except ArithmeticError:
                continue
            if (sv.unit or "Wh") == "kWh":
                value *= 1000
            reading = int(value.to_integral_value())
    return reading

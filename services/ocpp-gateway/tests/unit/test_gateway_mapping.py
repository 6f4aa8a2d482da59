"""Meter values and charging profiles between OCPP payloads and contracts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ladeplan_contracts.commands import ChargingProfile, ChargingSchedulePeriod
from ocpp_gateway.domain import charging_profiles, meter_values

pytestmark = pytest.mark.unit

OCMF = 'OCMF|{"FV":"1.0","RD":[{"TM":"2026-11-25T10:00:00,000+0000 S","RV":1.234,"RU":"kWh"}]}|{"SD":"3045"}'


def test_v16_values_and_signed_data_pass_through_unchanged() -> None:
    result = meter_values.from_v16(
        [
            {
                "timestamp": "2026-11-25T10:00:00Z",
                "sampled_value": [
                    {"value": "1234.50", "unit": "Wh", "context": "Transaction.Begin"},
                    {"value": OCMF, "format": "SignedData", "context": "Transaction.Begin"},
                    {"value": "7400.0", "measurand": "Power.Active.Import", "unit": "W"},
                ],
            }
        ]
    )
    plain, signed, power = result[0].sampled_values
    assert plain.value == "1234.50"
    assert plain.measurand == "Energy.Active.Import.Register"
    assert signed.signed is not None
    assert signed.signed.signed_meter_data == OCMF
    assert signed.value == OCMF
    assert power.unit == "W"
    assert result[0].timestamp == datetime(2026, 11, 25, 10, tzinfo=UTC)


def test_v2_values_keep_text_multiplier_and_signed_meter_value() -> None:
    result = meter_values.from_v2(
        [
            {
                "timestamp": "2026-11-25T10:00:00Z",
                "sampled_value": [
                    {
                        "value": Decimal("12.30"),
                        "context": "Transaction.End",
                        "unit_of_measure": {"unit": "kWh", "multiplier": 0},
                        "signed_meter_value": {
                            "signed_meter_data": "b64data==",
                            "signing_method": "ECDSA-secp256r1-SHA256",
                            "encoding_method": "OCMF",
                            "public_key": "3059...",
                        },
                    }
                ],
            }
        ]
    )
    sample = result[0].sampled_values[0]
    assert sample.value == "12.30"
    assert sample.unit == "kWh"
    assert sample.signed is not None
    assert sample.signed.encoding_method == "OCMF"
    assert meter_values.energy_register_wh(result, contexts=("Transaction.End",)) == 12300


def test_energy_register_picks_last_matching_context_and_skips_phases() -> None:
    values = meter_values.from_v2(
        [
            {
                "timestamp": "2026-11-25T10:00:00Z",
                "sampled_value": [
                    {"value": 5, "context": "Transaction.Begin"},
                    {"value": 7, "context": "Transaction.Begin", "phase": "L1"},
                    {"value": 3, "context": "Transaction.Begin", "unit_of_measure": {"unit": "Wh", "multiplier": 3}},
                ],
            }
        ]
    )
    assert meter_values.energy_register_wh(values, contexts=("Transaction.Begin",)) == 3000
    assert meter_values.energy_register_wh(values, contexts=("Transaction.End",)) is None


def _profile(**overrides: object) -> ChargingProfile:
    data: dict[str, object] = {
        "id": 7,
        "purpose": "tx",
        "unit": "A",
        "transaction_ref": "42",
        "periods": [
            ChargingSchedulePeriod(start_offset_s=0, limit=16.04),
            ChargingSchedulePeriod(start_offset_s=900, limit=6),
        ],
    }
    data.update(overrides)
    return ChargingProfile.model_validate(data)


def test_profile_to_v16_rounds_limits_and_names_purpose() -> None:
    payload = charging_profiles.to_v16(_profile(), transaction_id=42)
    assert payload["charging_profile_purpose"] == "TxProfile"
    assert payload["transaction_id"] == 42
    assert payload["charging_schedule"]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 16.0},
        {"start_period": 900, "limit": 6},
    ]
    site = charging_profiles.to_v16(_profile(purpose="charge_point_max", transaction_ref=None))
    assert site["charging_profile_purpose"] == "ChargePointMaxProfile"
    assert "transaction_id" not in site


def test_profile_to_v2_uses_station_max_and_schedule_list() -> None:
    payload = charging_profiles.to_v2(_profile(purpose="charge_point_max", transaction_ref=None, unit="W"))
    assert payload["charging_profile_purpose"] == "ChargingStationMaxProfile"
    assert payload["charging_schedule"][0]["charging_rate_unit"] == "W"
    assert payload["charging_schedule"][0]["id"] == 7
    assert charging_profiles.to_v2(_profile())["transaction_id"] == "42"

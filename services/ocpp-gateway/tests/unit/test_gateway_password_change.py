"""The Basic auth password change as each OCPP version says it, and the generic commands kept off it."""

from __future__ import annotations

import pytest
from ocpp.charge_point import remove_nones, snake_to_camel_case
from ocpp.messages import Call, validate_payload
from pydantic import ValidationError

from ladeplan_contracts.commands import Command
from ladeplan_contracts.commands_device import SetConfiguration, SetVariables, VariableValue
from ladeplan_contracts.commands_security import SetBasicAuthPassword
from ocpp_gateway.domain.command_calls import Inapplicable
from ocpp_gateway.domain.commands_v2 import to_v2
from ocpp_gateway.domain.commands_v16 import to_v16

pytestmark = pytest.mark.unit

# The OCPP 1.6 compliance test tool's example (TC_073): "OCA_OCTT_admin_test" hex-encoded.
OCTT_PASSWORD, OCTT_KEY = "OCA_OCTT_admin_test", "4F43415F4F4354545F61646D696E5F74657374"


async def _schema_valid(version: str, action: str, payload: dict[str, object]) -> None:
    await validate_payload(Call("t-1", action, remove_nones(snake_to_camel_case(payload))), version)


async def test_v16_sends_the_authorization_key_hex_encoded() -> None:
    call = to_v16(SetBasicAuthPassword(password=OCTT_PASSWORD))
    assert (call.action, call.payload) == ("ChangeConfiguration", {"key": "AuthorizationKey", "value": OCTT_KEY})
    await _schema_valid("1.6", call.action, call.payload)


@pytest.mark.parametrize("password", ["x" * 21, "y" * 40])
def test_v16_authorization_key_holds_at_most_20_bytes(password: str) -> None:
    with pytest.raises(Inapplicable) as refused:
        to_v16(SetBasicAuthPassword(password=password))
    assert "16 to 20 bytes" in str(refused.value)
    assert password not in str(refused.value)  # the reason reaches operators and logs


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
async def test_v2_sets_the_security_controller_variable(version: str) -> None:
    password = "a-40-character-password-for-2.x-charger!"
    call = to_v2(SetBasicAuthPassword(password=password), new_id=lambda: 1)
    assert call.action == "SetVariables"
    assert call.payload["set_variable_data"] == [
        {
            "attribute_value": password,
            "component": {"name": "SecurityCtrlr"},
            "variable": {"name": "BasicAuthPassword"},
        }
    ]
    await _schema_valid(version, call.action, call.payload)


@pytest.mark.parametrize("key", ["AuthorizationKey", "authorizationkey", "AUTHORIZATIONKEY"])
def test_generic_configuration_cannot_change_the_password(key: str) -> None:
    with pytest.raises(Inapplicable, match="password rotation"):
        to_v16(SetConfiguration(key=key, value="00" * 16))
    assert to_v16(SetConfiguration(key="HeartbeatInterval", value="60")).action == "ChangeConfiguration"


def test_generic_variables_cannot_change_the_password() -> None:
    password = VariableValue(component="securityctrlr", variable="BasicAuthPassword", value="z" * 16)
    other = VariableValue(component="OCPPCommCtrlr", variable="HeartbeatInterval", value="60")
    with pytest.raises(Inapplicable, match="password rotation"):
        to_v2(SetVariables(variables=[other, password]), new_id=lambda: 1)
    assert to_v2(SetVariables(variables=[other]), new_id=lambda: 1).action == "SetVariables"


def test_the_password_shows_only_on_the_wire() -> None:
    command = Command(charge_point_id="CP-1", command=SetBasicAuthPassword(password=OCTT_PASSWORD))
    assert OCTT_PASSWORD not in repr(command)
    assert OCTT_PASSWORD not in str(command.model_dump())
    wire = command.model_dump_json()
    assert OCTT_PASSWORD in wire
    decoded = Command.model_validate_json(wire).command
    assert isinstance(decoded, SetBasicAuthPassword)
    assert decoded.password.get_secret_value() == OCTT_PASSWORD


@pytest.mark.parametrize("password", ["too-short", "x" * 41, "with space in it!!", "umlaut-ä-0123456789"])
def test_passwords_outside_ocpp_rules_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        SetBasicAuthPassword(password=password)

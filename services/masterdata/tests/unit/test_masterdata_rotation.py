"""Generated charge point passwords: valid for masterdata and for every OCPP version's password rules."""

from __future__ import annotations

import pytest

from masterdata.domain import rules
from masterdata.handlers.api import api
from masterdata.rotation import GENERATED_LENGTH, generate_password

pytestmark = pytest.mark.unit


def test_generated_passwords_fit_ocpp_16_and_2x() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200  # random, not repeated
    for password in passwords:
        assert rules.charge_point_password(password) == password
        # OCPP 1.6 AuthorizationKey: 16 to 20 bytes; 2.x BasicAuthPassword: 16 to 40 characters.
        assert len(password.encode()) == GENERATED_LENGTH <= 20
        assert password.isalnum()


def test_openapi_documents_the_rotation_and_hides_the_password() -> None:
    document = api.openapi()
    operations = document["paths"]["/api/v1/charge-points/{charge_point_id}/password-rotation"]
    assert set(operations) == {"post", "get", "delete"}
    assert {"200", "404", "409", "422"} <= set(operations["post"]["responses"])
    assert "204" in operations["delete"]["responses"]
    body = document["components"]["schemas"]["PasswordRotationIn"]["properties"]
    assert body["password"]["writeOnly"] is True
    assert "password" not in document["components"]["schemas"]["PasswordRotationOut"]["properties"]

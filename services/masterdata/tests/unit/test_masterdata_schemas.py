"""Request bodies are refused with reasons; responses and the OpenAPI document never expose passwords."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from masterdata.domain.model import ChargePoint, Connector
from masterdata.handlers.api import api
from masterdata.handlers.commands_api import command_models
from masterdata.handlers.schemas import (
    ChargePointIn,
    ChargePointOut,
    ListQuery,
    LocationIn,
    TokenIn,
    TokenPatch,
    UserIn,
)

pytestmark = pytest.mark.unit

LOCATION_ID = "0f3c5b1e-0000-4000-8000-000000000001"


def charge_point_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "CP-1",
        "location_id": LOCATION_ID,
        "password": "s3cret-password-16",
        "connectors": [{"connector_id": 1, "max_power_kw": 22}],
    }
    return body | overrides


def reasons(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {".".join(str(p) for p in err["loc"]): err["msg"] for err in exc.value.errors()}


def test_charge_point_body_is_normalised() -> None:
    body = ChargePointIn.model_validate_json(json.dumps(charge_point_body(location_id=LOCATION_ID.upper())))
    assert body.location_id == LOCATION_ID
    assert body.connector_records() == [Connector(1, 22.0)]


def test_duplicate_connector_ids_are_refused() -> None:
    connectors = [{"connector_id": 1, "max_power_kw": 22}, {"connector_id": 1, "max_power_kw": 11}]
    with pytest.raises(ValidationError) as exc:
        ChargePointIn.model_validate_json(json.dumps(charge_point_body(connectors=connectors)))
    assert "appears more than once" in reasons(exc)["connectors"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id": "cp/1"}, "id"),
        ({"location_id": "nowhere"}, "location_id"),
        ({"password": "short"}, "password"),
        ({"connectors": []}, "connectors"),
        ({"connectors": [{"connector_id": 0, "max_power_kw": 22}]}, "connectors.0.connector_id"),
        ({"connectors": [{"connector_id": 1, "max_power_kw": 0}]}, "connectors.0.max_power_kw"),
        ({"connectors": [{"connector_id": "1", "max_power_kw": 22}]}, "connectors.0.connector_id"),
        ({"connectors": [{"connector_id": 1.5, "max_power_kw": 22}]}, "connectors.0.connector_id"),
        ({"extra": True}, "extra"),
    ],
)
def test_invalid_charge_point_fields_are_named(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        ChargePointIn.model_validate_json(json.dumps(charge_point_body(**overrides)))
    assert field in reasons(exc)


def test_location_limits() -> None:
    ok = LocationIn.model_validate_json('{"name": " Depot ", "timezone": "Europe/Berlin", "grid_limit_kw": 150}')
    assert (ok.name, ok.grid_limit_kw) == ("Depot", 150.0)
    for bad in ('"grid_limit_kw": 0', '"grid_limit_kw": -1', '"grid_limit_kw": "150"'):
        with pytest.raises(ValidationError):
            LocationIn.model_validate_json('{"name": "D", "timezone": "Europe/Berlin", ' + bad + "}")
    with pytest.raises(ValidationError) as exc:
        LocationIn.model_validate_json('{"name": "D", "timezone": "Mars/Olympus", "grid_limit_kw": 1}')
    assert "IANA" in reasons(exc)["timezone"]


def test_token_types_follow_ocpp_without_no_authorization() -> None:
    assert TokenIn.model_validate({"uid": "04A2B3C4", "type": "ISO14443"}).type == "ISO14443"
    for token_type in ("NoAuthorization", "rfid", ""):
        with pytest.raises(ValidationError):
            TokenIn.model_validate({"uid": "04A2B3C4", "type": token_type})


def test_token_status_values() -> None:
    assert TokenPatch.model_validate({"status": "blocked"}).status == "blocked"
    with pytest.raises(ValidationError):
        TokenPatch.model_validate({"status": "deleted"})


def test_user_email_is_validated() -> None:
    assert UserIn.model_validate({"email": "A@Example.org", "name": "A"}).email == "A@example.org"
    with pytest.raises(ValidationError) as exc:
        UserIn.model_validate({"email": "nobody", "name": "A"})
    assert "mail address" in reasons(exc)["email"]


def test_list_query_reads_text_and_bounds_it() -> None:
    assert ListQuery.model_validate({"limit": "5", "offset": "10"}) == ListQuery(limit=5, offset=10)
    with pytest.raises(ValidationError):
        ListQuery.model_validate({"limit": "0"})
    with pytest.raises(ValidationError):
        ListQuery.model_validate({"limit": "100000"})


def test_charge_point_response_has_no_secret_field() -> None:
    out = ChargePointOut.of(ChargePoint("CP-1", LOCATION_ID, (Connector(1, 22.0),), datetime.now(UTC)))
    assert set(out.model_dump()) == {"id", "location_id", "connectors", "created_at"}


def test_openapi_lists_every_route_and_hides_passwords_from_responses() -> None:
    document = api.openapi()
    assert set(document["paths"]) == {
        "/api/v1/locations",
        "/api/v1/locations/{location_id}",
        "/api/v1/charge-points",
        "/api/v1/charge-points/{charge_point_id}",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/users/{user_id}/tokens",
        "/api/v1/tokens/{uid}",
        "/api/v1/charge-points/{charge_point_id}/password-rotation",
    } | {f"/api/v1/charge-points/{{charge_point_id}}/commands/{kind}" for kind in command_models()}
    assert set(document["paths"]["/api/v1/tokens/{uid}"]) == {"get", "patch"}
    schemas = document["components"]["schemas"]
    assert set(schemas["ChargePointOut"]["properties"]) == {"id", "location_id", "connectors", "created_at"}
    assert schemas["ChargePointIn"]["properties"]["password"]["writeOnly"] is True
    created = document["paths"]["/api/v1/charge-points"]["post"]["responses"]
    assert {"201", "401", "409", "422"} <= set(created)


def test_openapi_documents_each_command_body_and_its_reply() -> None:
    document = api.openapi()
    kinds = set(command_models())
    assert len(kinds) == 23
    schemas = document["components"]["schemas"]
    for kind, model in command_models().items():
        operation = document["paths"][f"/api/v1/charge-points/{{charge_point_id}}/commands/{kind}"]["post"]
        assert {"200", "401", "404", "422"} <= set(operation["responses"])
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/CommandReply")
        body = schemas[operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
        assert body["properties"]["kind"]["const"] == kind
        assert "timeout_s" in body["properties"]
        assert set(model.model_fields) | {"timeout_s"} == set(body["properties"])
    assert schemas["CommandReply"]["properties"]["status"]["enum"] == [
        "accepted",
        "rejected",
        "offline",
        "timeout",
        "not_supported",
        "error",
    ]
    detail = document["paths"]["/api/v1/charge-points/{charge_point_id}"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"]["$ref"].endswith("/ChargePointDetail")
    assert set(schemas["ChargePointStatusOut"]["properties"]) == {"connection", "last_seen_at", "boot", "firmware"}

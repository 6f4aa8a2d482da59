"""The operator API's OpenAPI document and request models, without a server."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from session_manager.handlers.api import api
from session_manager.handlers.schemas import RemoteStartBody, SessionListQuery

pytestmark = pytest.mark.unit


def test_every_operation_is_documented_with_its_errors():
    document = api.openapi()
    operations = {(path, method): op for path, item in document["paths"].items() for method, op in item.items()}

    assert set(operations) == {
        ("/api/v1/sessions", "get"),
        ("/api/v1/sessions/{session_id}", "get"),
        ("/api/v1/charge-points/{charge_point_id}/remote-start", "post"),
        ("/api/v1/sessions/{session_id}/remote-stop", "post"),
    }
    assert {"401", "422"} <= set(operations[("/api/v1/sessions", "get")]["responses"])
    assert {"404", "409"} <= set(operations[("/api/v1/sessions/{session_id}/remote-stop", "post")]["responses"])
    assert {"SessionDetail", "SessionList", "CommandReply", "RemoteStartBody"} <= set(document["components"]["schemas"])


def test_list_query_defaults_and_limits():
    assert SessionListQuery.model_validate({}).limit == 50
    assert SessionListQuery.model_validate({"limit": "7", "status": "completed"}).limit == 7
    for bad in ({"limit": "0"}, {"limit": "501"}, {"status": "ended"}, {"stauts": "active"}):
        with pytest.raises(ValidationError):
            SessionListQuery.model_validate(bad)


def test_remote_start_needs_a_token_and_a_positive_evse():
    assert RemoteStartBody(token_uid="TAG").evse_id is None
    for bad in ({}, {"token_uid": ""}, {"token_uid": "T", "evse_id": 0}, {"token_uid": "x" * 37}):
        with pytest.raises(ValidationError):
            RemoteStartBody.model_validate(bad)

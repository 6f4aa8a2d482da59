"""The operator API's OpenAPI document, its route order and request models, without a server."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from pydantic import ValidationError

from receipts.handlers.api import api
from receipts.handlers.schemas import MeterKeyIn, ReadingOut, ReceiptListQuery

pytestmark = pytest.mark.unit


def test_every_operation_is_documented_with_its_errors():
    document = api.openapi()
    operations = {(path, method): op for path, item in document["paths"].items() for method, op in item.items()}

    assert set(operations) == {
        ("/api/v1/receipts", "get"),
        ("/api/v1/receipts/{session_id}", "get"),
        ("/api/v1/receipts/{session_id}.xml", "get"),
        ("/api/v1/receipts/{session_id}.ocmf.json", "get"),
        ("/api/v1/receipts/{session_id}/reissue", "post"),
        ("/api/v1/charge-points/{charge_point_id}/meter-keys/{evse_id}", "put"),
        ("/api/v1/charge-points/{charge_point_id}/meter-keys", "get"),
    }
    assert {"401", "404", "409"} <= set(operations[("/api/v1/receipts/{session_id}.xml", "get")]["responses"])
    assert {"ReceiptDetailOut", "ReceiptExport", "MeterKeyIn", "MeterKeyList"} <= set(document["components"]["schemas"])


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("/api/v1/receipts/abc.xml", "receipt_xml"),
        ("/api/v1/receipts/abc.ocmf.json", "receipt_json"),
        ("/api/v1/receipts/abc", "get_receipt"),
    ],
)
async def test_export_suffixes_reach_their_own_views(path, view):
    """aiohttp tries routes in order; ``/receipts/{session_id}`` alone would also match ``abc.xml``."""
    app = web.Application()
    app.add_routes(api.routes)
    match = await app.router.resolve(make_mocked_request("GET", path))
    assert match.handler.__name__ == view


def test_list_query_and_key_bodies():
    assert ReceiptListQuery.model_validate({}).limit == 50
    for bad in ({"limit": "0"}, {"status": "maybe"}, {"stauts": "verified"}):
        with pytest.raises(ValidationError):
            ReceiptListQuery.model_validate(bad)
    assert MeterKeyIn(public_key="3059").encoding is None
    for bad in ({}, {"public_key": ""}, {"public_key": "30", "encoding": "rot13"}):
        with pytest.raises(ValidationError):
            MeterKeyIn.model_validate(bad)


def test_readings_keep_their_register_under_its_own_name():
    reading = ReadingOut.model_validate({"record_id": 1, "context": None, "register": "1-b:1.8.0"})
    assert reading.model_dump(mode="json")["register"] == "1-b:1.8.0"

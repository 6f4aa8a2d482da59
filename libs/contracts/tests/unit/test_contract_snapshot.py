"""Contracts as code: a change to any message model must show up as a reviewed change of the snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from ladeplan_contracts.catalog import all_contracts, render

pytestmark = pytest.mark.unit

SNAPSHOT = Path(__file__).resolve().parents[2] / "schema" / "messages.json"


def test_snapshot_matches_the_models() -> None:
    assert SNAPSHOT.read_text() == render(), (
        "The message contracts changed. Run `make contracts`, review the diff of "
        "libs/contracts/schema/messages.json like an API change (bump SCHEMA_VERSION when a change "
        "breaks consumers) and commit it."
    )


def test_every_contract_type_is_unique_and_named_like_the_bus() -> None:
    contracts = all_contracts()
    assert "transaction.ended" in contracts
    assert "session-manager.start-transaction" in contracts
    for type_ in contracts:
        assert type_ == type_.lower()
        assert " " not in type_

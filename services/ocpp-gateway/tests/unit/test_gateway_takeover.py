"""Who answers a command when a charge point hops between gateway nodes."""

from __future__ import annotations

from typing import Any

import pytest

from ocpp_gateway.registry import LiveConnection
from ocpp_gateway.takeover import Verdict, verdict

pytestmark = pytest.mark.unit


def live(epoch: int) -> LiveConnection:
    unused: Any = None
    return LiveConnection("CP-1", unused, unused, epoch, "1.6")


@pytest.mark.parametrize(
    ("local", "holder", "expected"),
    [
        (live(3), ("node-a", 3), Verdict.EXECUTE),
        (live(3), ("node-b", 4), Verdict.STALE),  # hopped to another node
        (live(3), ("node-a", 4), Verdict.STALE),  # reconnected to this node; the old socket lingers
        (live(3), None, Verdict.STALE),  # presence says disconnected: this socket is not to be trusted
        (None, None, Verdict.OFFLINE),
        (None, ("node-a", 3), Verdict.OFFLINE),  # our own connection is closing
        (None, ("node-b", 4), Verdict.ELSEWHERE),  # the holder answers, not us
    ],
)
def test_verdict(local: LiveConnection | None, holder: tuple[str, int] | None, expected: Verdict) -> None:
    assert verdict("node-a", local, holder) is expected

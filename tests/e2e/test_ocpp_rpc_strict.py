"""An independent OCPP client checks the gateway against the official schemas, both ways.

``tests/e2e/ocpp-rpc/session.mjs`` is npm's ``ocpp-rpc`` in strict mode: every CALL it sends,
every CALLRESULT the gateway returns, every CALL the gateway sends and every answer to it is
validated against the OCPP JSON schemas, and any violation, CALLERROR or unexpected status fails
the run. Unlike the simulator (the ``ocpp`` package, as the gateway itself), it shares no code
with the server, so a schema misunderstanding on our side cannot hide behind the same library.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import Operator, Stack
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e

CLIENT_DIR = Path(__file__).resolve().parent / "ocpp-rpc"
SCRIPT = CLIENT_DIR / "session.mjs"
RUN_TIMEOUT_S = 90


@dataclass(frozen=True)
class Case:
    protocol: str
    meter_start_wh: int
    energy_wh: int
    exchanges: tuple[str, ...]
    """Keys of the responses, in the order the client sends the CALLs."""


V2_EXCHANGES = (
    "BootNotification",
    "Heartbeat",
    "StatusNotification.Available",
    "StatusNotification.Occupied",
    "Authorize",
    "TransactionEvent.Started",
    "TransactionEvent.Updated",
    "TransactionEvent.Ended",
)
CASES = (
    Case(
        "ocpp1.6",
        meter_start_wh=10_000,
        energy_wh=7_250,
        exchanges=(
            "BootNotification",
            "Heartbeat",
            "StatusNotification.Available",
            "StatusNotification.Preparing",
            "Authorize",
            "StartTransaction",
            "MeterValues",
            "StopTransaction",
        ),
    ),
    Case("ocpp2.0.1", meter_start_wh=2_000, energy_wh=4_401, exchanges=V2_EXCHANGES),
    # ocpp-rpc 2.2.1's own 2.1 validator cannot find its schemas; session.mjs supplies a fixed one.
    Case("ocpp2.1", meter_start_wh=0, energy_wh=11_000, exchanges=V2_EXCHANGES),
)


@dataclass
class ClientRun:
    returncode: int
    records: list[dict[str, Any]]
    stderr: str

    @property
    def summary(self) -> dict[str, Any]:
        assert self.records, f"the client printed nothing; stderr:\n{self.stderr}"
        return self.records[-1]


@pytest.fixture(scope="session")
def node() -> str:
    binary = shutil.which("node")
    if binary is None:
        pytest.skip("node is not installed; the strict OCPP client needs Node.js 20")
    if not (CLIENT_DIR / "node_modules" / "ocpp-rpc" / "package.json").is_file():
        pytest.skip(f"ocpp-rpc is not installed in {CLIENT_DIR} (make setup runs npm ci there)")
    return binary


async def run_client(
    node: str, args: list[str], on_record: Callable[[dict[str, Any]], Awaitable[None]] | None = None
) -> ClientRun:
    """Run session.mjs, handing each JSON line to ``on_record`` as it arrives."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        *args,
        cwd=CLIENT_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    stderr_task = asyncio.create_task(process.stderr.read())
    records: list[dict[str, Any]] = []

    async def read_records() -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise AssertionError(f"the client printed a line that is not JSON: {line!r}") from None
            records.append(record)
            if on_record is not None:
                await on_record(record)

    try:
        await asyncio.wait_for(read_records(), RUN_TIMEOUT_S)
        returncode = await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        raise AssertionError(f"the client did not finish within {RUN_TIMEOUT_S} s; output so far: {records}") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        stderr = (await stderr_task).decode(errors="replace")
    return ClientRun(returncode, records, stderr)


def client_args(
    stack: Stack, cp_id: str, password: str, protocol: str, token: str, *extra: str, wait_authorized: bool = True
) -> list[str]:
    args = [
        "--url",
        f"{stack.gateway_url}/ocpp",
        "--id",
        cp_id,
        "--password",
        password,
        "--protocol",
        protocol,
        "--token",
        token,
        *extra,
    ]
    if wait_authorized:
        # Tokens reach session-manager as events from masterdata: Authorize until it knows this one.
        args += ["--wait-authorized", "--authorize-wait-s", "15"]
    return args


def explain(run: ClientRun, stack: Stack) -> str:
    """The client's output and the tails of the service logs, for an assertion message."""
    logs = "\n".join(f"--- {name} log ---\n{stack.logs(name)[-3000:]}" for name in stack.services)
    lines = "\n".join(json.dumps(record) for record in run.records)
    return f"exit code {run.returncode}\n--- client stdout ---\n{lines}\n--- client stderr ---\n{run.stderr}\n{logs}"


async def completed_session(operator: Operator, cp_id: str) -> dict[str, Any]:
    """The charge point's one completed session, with its meter values (sessions complete asynchronously)."""

    async def check() -> list[dict[str, Any]]:
        return [s for s in await operator.sessions(cp_id) if s["status"] == "completed"]

    completed: list[dict[str, Any]] = await eventually(check, timeout=20)
    assert len(completed) == 1, completed
    async with operator.http.get(f"{operator.stack.sessions_url}/sessions/{completed[0]['id']}") as response:
        assert response.status == 200, await response.text()
        detail: dict[str, Any] = await response.json()
        return detail


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.protocol)
async def test_strict_client_completes_a_session(node: str, stack: Stack, operator: Operator, case: Case) -> None:
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    run = await run_client(
        node,
        client_args(
            stack,
            cp_id,
            password,
            case.protocol,
            token,
            "--meter-start-wh",
            str(case.meter_start_wh),
            "--energy-wh",
            str(case.energy_wh),
        ),
    )
    assert run.returncode == 0, explain(run, stack)
    summary = run.summary
    assert summary["ok"] is True
    assert (summary["protocol"], summary["chargePointId"]) == (case.protocol, cp_id)
    assert summary["energyWh"] == case.energy_wh

    # Every step answered, in order; Authorize possibly more than once until the token was known.
    sent = [r["key"] for r in run.records if r.get("direction") == "outbound"]
    repeated = [key for i, key in enumerate(sent) if i > 0 and key == sent[i - 1]]
    assert set(repeated) <= {"Authorize"}, sent
    assert [key for i, key in enumerate(sent) if i == 0 or key != sent[i - 1]] == list(case.exchanges)
    responses = summary["responses"]
    assert list(responses) == list(case.exchanges)
    assert responses["BootNotification"]["status"] == "Accepted"
    assert responses["BootNotification"]["interval"] > 0
    if case.protocol == "ocpp1.6":
        assert responses["Authorize"]["idTagInfo"]["status"] == "Accepted"
        assert responses["StartTransaction"]["idTagInfo"]["status"] == "Accepted"
        assert isinstance(summary["transactionId"], int)
        assert responses["StartTransaction"]["transactionId"] == summary["transactionId"]
    else:
        assert responses["Authorize"]["idTokenInfo"]["status"] == "Accepted"
        assert responses["TransactionEvent.Started"]["idTokenInfo"]["status"] == "Accepted"

    session = await completed_session(operator, cp_id)
    assert session["energy_wh"] == case.energy_wh, session
    assert session["meter_start_wh"] == case.meter_start_wh
    assert session["meter_stop_wh"] == case.meter_start_wh + case.energy_wh
    assert session["token_uid"] == token
    assert session["authorization_status"] == "Accepted"
    assert (session["evse_id"], session["connector_id"]) == (1, 1)
    if case.protocol == "ocpp1.6":
        assert session["transaction_id"] == summary["transactionId"]
        assert session["stop_reason"] == "Local"
    else:
        assert session["transaction_ref"] == summary["transactionId"]
        assert session["stop_reason"] == "EVDisconnected"
    # The periodic reading between start and stop is stored as sent.
    periodic = [mv for mv in session["meter_values"] if mv["context"] == "Sample.Periodic"]
    assert [(mv["value"], mv["measurand"], mv["unit"]) for mv in periodic] == [
        (str(case.meter_start_wh + case.energy_wh // 2), "Energy.Active.Import.Register", "Wh")
    ]


@pytest.mark.parametrize(
    ("protocol", "action"),
    [
        ("ocpp1.6", "RemoteStartTransaction"),
        ("ocpp2.0.1", "RequestStartTransaction"),
        ("ocpp2.1", "RequestStartTransaction"),
    ],
    ids=["ocpp1.6", "ocpp2.0.1", "ocpp2.1"],
)
async def test_remote_start_reaches_the_strict_client(
    node: str, stack: Stack, operator: Operator, protocol: str, action: str
) -> None:
    """The gateway's own CALL passes the schema check, and so does the charge point's answer."""
    cp_id, password = await operator.charge_point()
    token = await operator.token()
    replies: list[dict[str, Any]] = []

    async def remote_start_when_asked(record: dict[str, Any]) -> None:
        if record.get("awaiting") == action:
            url = f"{stack.sessions_url}/charge-points/{cp_id}/remote-start"
            async with operator.http.post(url, json={"token_uid": token, "evse_id": 1}) as response:
                assert response.status == 200, await response.text()
                replies.append(await response.json())

    run = await run_client(
        node,
        client_args(stack, cp_id, password, protocol, token, "--await-call", action, "--await-s", "15"),
        on_record=remote_start_when_asked,
    )
    assert run.returncode == 0, explain(run, stack)
    assert [reply["status"] for reply in replies] == ["accepted"]
    inbound = [call for call in run.summary["inbound"] if call["action"] == action]
    assert len(inbound) == 1, run.summary["inbound"]
    request = inbound[0]["request"]
    if protocol == "ocpp1.6":
        assert (request["idTag"], request["connectorId"]) == (token, 1)
    else:
        assert (request["idToken"]["idToken"], request["evseId"]) == (token, 1)
    assert inbound[0]["response"] == {"status": "Accepted"}


async def test_strict_client_reports_a_refused_token(node: str, stack: Stack, operator: Operator) -> None:
    """The client fails loudly on an unexpected status, so a passing run above means something."""
    cp_id, password = await operator.charge_point()
    blocked = await operator.token(status="blocked")

    runs: list[ClientRun] = []

    async def refused_as_blocked() -> bool:
        # Invalid until session-manager has the token's event; Blocked from then on.
        runs.append(
            await run_client(node, client_args(stack, cp_id, password, "ocpp1.6", blocked, wait_authorized=False))
        )
        return bool(runs[-1].summary.get("error", {}).get("status") == "Blocked")

    await eventually(refused_as_blocked, timeout=20, interval=0.5)
    run = runs[-1]
    assert run.returncode == 1, explain(run, stack)
    assert run.summary["ok"] is False
    assert run.summary["error"] == {
        "kind": "unexpectedStatus",
        "message": 'Authorize: status "Blocked", expected Accepted',
        "action": "Authorize",
        "status": "Blocked",
        "expected": "Accepted",
    }
    assert not any(r.get("exchange") == "StartTransaction" for r in run.records)


async def test_strict_client_is_refused_with_a_wrong_password(node: str, stack: Stack, operator: Operator) -> None:
    cp_id, _ = await operator.charge_point()
    token = await operator.token()
    run = await run_client(node, client_args(stack, cp_id, "not-the-password-123", "ocpp1.6", token))
    assert run.returncode == 1, explain(run, stack)
    assert run.summary["ok"] is False
    assert (run.summary["error"]["kind"], run.summary["error"]["httpStatus"]) == ("connect", 401)

"""Every supported message of OCPP 1.6, 2.0.1 and 2.1 checked by an independent strict client, both ways.

``tests/e2e/ocpp-rpc/conformance.mjs`` is npm's ``ocpp-rpc`` in strict mode: it validates every
CALL the backend sends for an operator command (sent here through masterdata's API), its own
answers, every charge-point-initiated message it sends and the backend's answers against the
official OCPP JSON schemas; any violation, CALLERROR or unexpected answer fails the run. The
charging session itself is the subject of ``test_ocpp_rpc_strict.py``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.conformance import cases_for, send_command
from tests.e2e.support import Operator, Stack
from tests.support.polling import eventually

# Only the operator's commands: ems-adapter's own profiles would interleave (see conftest.stack_without_ems).
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("stack_without_ems")]

CLIENT_DIR = Path(__file__).resolve().parent / "ocpp-rpc"
SCRIPT = CLIENT_DIR / "conformance.mjs"
RUN_TIMEOUT_S = 60


@pytest.fixture(scope="session")
def node_binary() -> str:
    binary = shutil.which("node")
    if binary is None:
        pytest.skip("node is not installed; the strict OCPP client needs Node.js 20")
    if not (CLIENT_DIR / "node_modules" / "ocpp-rpc" / "package.json").is_file():
        pytest.skip(f"ocpp-rpc is not installed in {CLIENT_DIR} (make setup runs npm ci there)")
    return binary


async def run_conformance(
    node: str, stack: Stack, operator: Operator, cp_id: str, password: str, protocol: str
) -> tuple[int, list[dict[str, Any]], list[tuple[str, dict[str, Any]]], str]:
    """Run the client; when it awaits commands, send every command of the version through the operator API."""
    version = protocol.removeprefix("ocpp")
    cases = cases_for(version)
    expected = [case.action for case in cases if case.action is not None]
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        *("--url", f"{stack.gateway_url}/ocpp", "--id", cp_id, "--password", password, "--protocol", protocol),
        *("--expect", ",".join(expected), "--await-s", "40"),
        cwd=CLIENT_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    records: list[dict[str, Any]] = []
    replies: list[tuple[str, dict[str, Any]]] = []

    async def commands() -> None:
        # Its own session: the operator fixture's is closed when the test ends, this one when the commands do.
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {stack.api_key}"}) as http:
            for case in cases:
                replies.append((case.name, await send_command(http, stack, cp_id, case)))

    sender: asyncio.Task[None] | None = None
    try:
        async with asyncio.timeout(RUN_TIMEOUT_S):
            async for line in process.stdout:
                records.append(json.loads(line))
                if records[-1].get("awaiting") == "commands":
                    sender = asyncio.create_task(commands())
            await process.wait()
        if sender is not None:
            await sender
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        if sender is not None and not sender.done():
            sender.cancel()
    stderr = (await process.stderr.read()).decode(errors="replace")
    return process.returncode or 0, records, replies, stderr


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"])
async def test_every_message_and_command_passes_the_strict_client(
    node_binary: str, stack: Stack, operator: Operator, protocol: str
) -> None:
    cp_id, password = await operator.charge_point()
    returncode, records, replies, stderr = await run_conformance(
        node_binary, stack, operator, cp_id, password, protocol
    )
    explanation = "\n".join(json.dumps(r) for r in records[-5:]) + f"\n--- stderr ---\n{stderr}"
    assert returncode == 0, explanation
    summary = records[-1]
    assert summary["ok"] is True, explanation

    # Every command the version supports reached the client (and passed strict mode both ways);
    # the others were answered not_supported without a CALL.
    cases = cases_for(protocol.removeprefix("ocpp"))
    assert [name for name, _ in replies] == [case.name for case in cases]
    for case, (_, reply) in zip(cases, replies, strict=True):
        assert reply["status"] == ("not_supported" if case.action is None else "accepted"), (case.name, reply)
    expected = [case.action for case in cases if case.action is not None]
    # Later CALLs may follow from the messages (the EMS answers the EV's charging needs with a profile).
    assert [call["action"] for call in summary["inbound"]][: len(expected)] == expected

    # Every charge-point-initiated message was answered, as strict mode demanded.
    sent = [r["key"] for r in records if r.get("direction") == "outbound"]
    assert "BootNotification" in sent
    assert len(sent) >= (10 if protocol == "ocpp1.6" else 17), sent

    async def firmware_reported() -> bool:
        async with operator.http.get(f"{stack.masterdata_url}/charge-points/{cp_id}") as response:
            status = (await response.json())["status"]
        return bool(status["boot"] and status["boot"]["model"] == "ocpp-rpc-conformance" and status["firmware"])

    await eventually(firmware_reported, timeout=10)

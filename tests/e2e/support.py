"""What the e2e tests share: the running stack and the operator API client."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from ladeplan.services import ServiceProcess
from ladeplan.supervisor import wait_healthy

API_KEY = "e2e-operator-key"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    """Running services and how to reach them; ``restart``/``kill`` act on one service."""

    env: dict[str, str]
    services: dict[str, ServiceProcess]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.services['ocpp-gateway'].port}"

    @property
    def masterdata_url(self) -> str:
        return f"http://127.0.0.1:{self.services['masterdata'].port}/api/v1"

    @property
    def sessions_url(self) -> str:
        return f"http://127.0.0.1:{self.services['session-manager'].port}/api/v1"

    @property
    def api_key(self) -> str:
        return API_KEY

    def start(self, name: str) -> None:
        service = self.services[name]
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", service.module],
            env={**self.env, "PORT": str(service.port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        """SIGKILL: no graceful shutdown, as when a process crashes."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    async def wait_healthy(self, *names: str) -> None:
        await wait_healthy([self.services[n] for n in names], self.processes)

    def logs(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")


@dataclass
class Operator:
    """The operator API as a test client: registers charge points, drivers and tokens."""

    http: aiohttp.ClientSession
    stack: Stack

    async def post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(url, json=body) as response:
            assert response.status == 201, await response.text()
            result: dict[str, Any] = await response.json()
            return result

    async def charge_point(self, password: str = "e2e-password-0123456789") -> tuple[str, str]:
        location = await self.post(
            f"{self.stack.masterdata_url}/locations", {"name": "E2E", "timezone": "Europe/Berlin", "grid_limit_kw": 50}
        )
        cp_id = f"E2E-{uuid.uuid4().hex[:10]}"
        await self.post(
            f"{self.stack.masterdata_url}/charge-points",
            {
                "id": cp_id,
                "location_id": location["id"],
                "password": password,
                "connectors": [{"connector_id": 1, "max_power_kw": 22}, {"connector_id": 2, "max_power_kw": 22}],
            },
        )
        return cp_id, password

    async def token(self, status: str = "active") -> str:
        user = await self.post(
            f"{self.stack.masterdata_url}/users", {"email": f"{uuid.uuid4().hex[:8]}@e2e.test", "name": "E2E Driver"}
        )
        uid = f"TOK{uuid.uuid4().hex[:12].upper()}"
        await self.post(f"{self.stack.masterdata_url}/users/{user['id']}/tokens", {"uid": uid, "type": "RFID"})
        if status != "active":
            async with self.http.patch(f"{self.stack.masterdata_url}/tokens/{uid}", json={"status": status}) as resp:
                assert resp.status == 200, await resp.text()
        return uid

    async def sessions(self, charge_point_id: str) -> list[dict[str, Any]]:
        async with self.http.get(
            f"{self.stack.sessions_url}/sessions", params={"charge_point_id": charge_point_id}
        ) as r:
            assert r.status == 200, await r.text()
            items: list[dict[str, Any]] = (await r.json())["items"]
            return items

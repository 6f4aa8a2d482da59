"""``ladeplan up``: the whole stack as local processes, stopped together on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

import aiohttp

from ladeplan.services import SERVICES, ServiceProcess, with_gateways

DEFAULT_OPERATOR_KEY = "dev-operator-key"


class StackFailed(Exception):
    pass


def _spawn(args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A process group of its own: the supervisor forwards signals instead of the terminal.
    return subprocess.Popen(args, env=env, start_new_session=True)


def start_services(
    env: dict[str, str], services: Sequence[ServiceProcess] = SERVICES
) -> dict[str, subprocess.Popen[bytes]]:
    processes = {}
    for service in services:
        child_env = {**env, "PORT": str(service.port)}
        processes[service.name] = _spawn([sys.executable, "-m", service.module], child_env)
    return processes


async def wait_healthy(
    services: Sequence[ServiceProcess], processes: dict[str, subprocess.Popen[bytes]], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        for service in services:
            while True:
                if processes[service.name].poll() is not None:
                    raise StackFailed(f"{service.name} exited with code {processes[service.name].returncode}")
                try:
                    async with http.get(f"http://127.0.0.1:{service.port}/health") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise StackFailed(f"{service.name} did not become healthy within {timeout:.0f} s")
                await asyncio.sleep(0.3)


def stop(processes: dict[str, subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    for process in processes.values():
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes.values():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    # Our children lead their own process group; one started otherwise is signalled alone.
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)


def run_stack(env: dict[str, str], *, demo: bool, gateways: int = 1) -> int:
    """Start everything, then wait until Ctrl-C or until a process dies; returns the exit code."""
    services = with_gateways(gateways)
    processes = start_services(env, services)
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        asyncio.run(wait_healthy(services, processes))
        print(
            "ladeplan is up: operator API http://127.0.0.1:8081/api/v1 (bearer key "
            f"{env['OPERATOR_API_KEYS'].split(',')[0]!r}), sessions http://127.0.0.1:8082/api/v1/sessions, "
            "receipts http://127.0.0.1:8083/api/v1/receipts, "
            f"OCPP ws://127.0.0.1:9000/ocpp/{{id}} ({gateways} gateway node(s) from port 9000). "
            "Ctrl-C stops everything.",
            file=sys.stderr,
            flush=True,
        )
        if demo:
            processes["demo"] = _spawn([sys.executable, "-m", "ladeplan", "demo"], env)
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    raise StackFailed(f"{name} exited with code {process.returncode}")
            time.sleep(0.5)
        return 0
    except StackFailed as failure:
        print(f"ladeplan: {failure}; stopping the stack.", file=sys.stderr)
        return 1
    finally:
        stop(processes)

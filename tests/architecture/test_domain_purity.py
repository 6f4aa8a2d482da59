"""The domain stays pure: no I/O, no bus, no database, no clock (style.md: "domain/ ... no I/O")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SERVICES = Path(__file__).resolve().parents[2] / "services"
# Every service's domain/ package, wherever it lives under src/.
MODULES = sorted(SERVICES.glob("*/src/*/domain/**/*.py"))
FORBIDDEN_MODULES = {"asyncio", "asyncpg", "aio_pika", "aiohttp", "faststream", "os", "pathlib", "socket", "subprocess"}
FORBIDDEN_CALLS = {"open", "print", "input"}


def test_every_service_has_domain_modules():
    assert {path.relative_to(SERVICES).parts[0] for path in MODULES} >= {
        "ocpp-gateway",
        "session-manager",
        "masterdata",
        "receipts",
        "ems-adapter",
    }


@pytest.mark.parametrize("module", MODULES, ids=lambda path: str(path.relative_to(SERVICES)))
def test_domain_modules_do_no_io(module):
    tree = ast.parse(module.read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        )
    }  # fmt: skip
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}

    assert not imported & FORBIDDEN_MODULES
    assert not called & FORBIDDEN_CALLS

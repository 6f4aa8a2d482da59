"""The domain stays pure: no I/O, no bus, no database, no clock (style.md: "domain/ ... no I/O")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "ems_adapter" / "domain"
FORBIDDEN_MODULES = {"asyncio", "asyncpg", "aio_pika", "aiohttp", "faststream", "os", "pathlib", "socket", "subprocess"}
FORBIDDEN_CALLS = {"open", "print", "input"}


@pytest.mark.parametrize("module", sorted(DOMAIN.rglob("*.py")), ids=lambda path: str(path.relative_to(DOMAIN)))
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

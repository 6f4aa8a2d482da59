"""A missing PostgreSQL or RabbitMQ gives one clear sentence and exit code 2, not a traceback."""

from __future__ import annotations

import socket

import pytest

from ladeplan.cli import main

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the probe goes


@pytest.mark.parametrize("command", [["migrate"], ["up", "--no-demo"]])
def test_missing_postgres_is_one_sentence(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{_closed_port()}/ladeplan")
    assert main(command) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ladeplan: PostgreSQL is not reachable at 127.0.0.1:")
    assert "pg_ctlcluster" in err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_missing_rabbitmq_is_one_sentence(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AMQP_URL", f"amqp://guest:guest@127.0.0.1:{_closed_port()}/")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ladeplan: RabbitMQ is not reachable at 127.0.0.1:")
    assert "rabbitmq-server -detached" in err
    assert len(err.splitlines()) == 1

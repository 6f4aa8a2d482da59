"""docker-compose.yml, heroku.yml and the Dockerfile describe the processes of ``ladeplan.services``.

The compose file is read the way Docker reads it: ``docker-compose config`` validates it and
resolves anchors, merges and variable defaults, and its output is what the assertions inspect.
Every ``ladeplan ...`` command in either file is parsed with the real command-line parser.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices

from ladeplan.cli import build_parser
from ladeplan.services import BY_NAME, SERVICES, ServiceProcess
from ladeplan_platform.settings import ServiceSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
HEROKU_FILE = ROOT / "heroku.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

# What every ladeplan process gets in compose, locally and on Heroku (design: "Configuration").
SHARED_ENV = {"DATABASE_URL", "AMQP_URL", "OPERATOR_API_KEYS", "OTEL_TRACES_EXPORTER", "OTEL_SERVICE_NAME"}
# Read straight from the environment rather than through the settings classes.
PROCESS_ENV = {"PORT", "HOST", "LOG_LEVEL"}
BACKENDS = {"postgres", "rabbitmq"}


def settings_env_names(settings: type[ServiceSettings]) -> set[str]:
    """The environment names a settings class reads (upper-cased; pydantic-settings ignores case)."""
    names: set[str] = set()
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice.upper() for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(field_name.upper())
    return names


def service_settings(service: ServiceProcess) -> type[ServiceSettings]:
    settings: type[ServiceSettings] = importlib.import_module(f"{service.module}.config").Settings
    return settings


def ladeplan_args(command: str | list[str]) -> list[str]:
    """The arguments after ``ladeplan``; fails for a command that runs anything else."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    assert argv[:1] == ["ladeplan"], f"not a ladeplan command: {command!r}"
    return argv[1:]


def served_service(command: str | list[str]) -> str | None:
    """The service a ``ladeplan serve X`` command runs, after checking it with the real CLI parser."""
    args = ladeplan_args(command)
    parsed = build_parser().parse_args(args)  # exits (SystemExit) on an unknown subcommand or service
    return str(parsed.service) if parsed.command == "serve" else None


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"}, test
    return " ".join(test[1:])


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """``docker-compose config`` output (demo profile on), with the file's own variable defaults."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (make setup installs it through scripts/setup-system.sh)")
    # A bare environment, so that the defaults written in the file are what gets checked.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    result = subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), "--profile", "demo", "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"docker-compose rejects {COMPOSE_FILE.name}:\n{result.stderr}"
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


@pytest.fixture(scope="module")
def heroku() -> dict[str, Any]:
    manifest: dict[str, Any] = yaml.safe_load(HEROKU_FILE.read_text())
    return manifest


def ladeplan_compose_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose["services"].items() if name not in BACKENDS}


# --- docker-compose.yml -------------------------------------------------------------------------


def test_compose_backends_have_healthchecks(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in healthcheck_command(postgres)
    assert postgres["environment"]["POSTGRES_DB"] == "ladeplan"

    rabbitmq = compose["services"]["rabbitmq"]
    assert rabbitmq["image"].startswith("rabbitmq:3.13")
    assert healthcheck_command(rabbitmq) == "rabbitmq-diagnostics -q ping"


def test_compose_migrate_runs_once_after_healthy_backends(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert ladeplan_args(migrate["command"]) == ["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "rabbitmq": {"condition": "service_healthy"},
    }
    assert "ports" not in migrate
    assert set(migrate["environment"]) >= SHARED_ENV


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_compose_runs_every_service(compose: dict[str, Any], service: ServiceProcess) -> None:
    svc = compose["services"].get(service.name)
    assert svc is not None, f"docker-compose.yml has no service {service.name!r}"
    assert served_service(svc["command"]) == service.name
    assert svc["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert {"target": service.port, "published": service.port} in [
        {"target": p["target"], "published": int(p["published"])} for p in svc["ports"]
    ]
    env = svc["environment"]
    assert env["PORT"] == str(service.port)
    assert env["OTEL_SERVICE_NAME"] == service.name
    assert set(env) >= SHARED_ENV
    assert f"http://127.0.0.1:{service.port}/health" in healthcheck_command(svc)


def test_compose_services_share_one_image_and_one_configuration(compose: dict[str, Any]) -> None:
    services = ladeplan_compose_services(compose)
    assert {svc["build"]["context"] for svc in services.values()} == {str(ROOT)}
    assert len({svc["image"] for svc in services.values()}) == 1
    # The same backends and keys everywhere; only the per-process values differ.
    per_process = {"PORT", "OTEL_SERVICE_NAME"}
    shared = [{k: v for k, v in svc["environment"].items() if k not in per_process} for svc in services.values()]
    assert all(env == shared[0] for env in shared), shared
    database, broker = urlsplit(shared[0]["DATABASE_URL"]), urlsplit(shared[0]["AMQP_URL"])
    assert (database.scheme, database.hostname, database.port) == ("postgresql", "postgres", 5432)
    assert compose["services"]["postgres"]["environment"]["POSTGRES_DB"] == database.path.lstrip("/")
    assert (broker.scheme, broker.hostname, broker.port) == ("amqp", "rabbitmq", 5672)


def test_compose_sets_only_variables_the_processes_read(compose: dict[str, Any]) -> None:
    """A misspelt or renamed variable would be ignored silently by pydantic-settings: catch it here."""
    base = settings_env_names(ServiceSettings)
    assert {"DATABASE_URL", "AMQP_URL", "OPERATOR_API_KEYS"} <= base
    for name, svc in ladeplan_compose_services(compose).items():
        known = base | PROCESS_ENV
        if name in BY_NAME:
            known |= settings_env_names(service_settings(BY_NAME[name]))
        unread = {var for var in svc["environment"] if var not in known and not var.startswith("OTEL_")}
        assert not unread, f"{name} sets variables nothing reads: {sorted(unread)}"


def test_compose_demo_is_an_optional_profile(compose: dict[str, Any]) -> None:
    demo = compose["services"]["demo"]
    assert demo["profiles"] == ["demo"]
    args = build_parser().parse_args(ladeplan_args(demo["command"]))
    gateway, masterdata = BY_NAME["ocpp-gateway"], BY_NAME["masterdata"]
    assert args.command == "demo"
    assert args.gateway_url == f"ws://{gateway.name}:{gateway.port}"
    assert args.masterdata_url == f"http://{masterdata.name}:{masterdata.port}"
    assert demo["depends_on"] == {s.name: {"condition": "service_healthy"} for s in SERVICES}
    assert "OPERATOR_API_KEYS" in demo["environment"]


# --- heroku.yml ---------------------------------------------------------------------------------


def test_heroku_builds_the_dockerfile(heroku: dict[str, Any]) -> None:
    assert heroku["build"]["docker"] == {"web": "Dockerfile"}
    assert (ROOT / heroku["build"]["docker"]["web"]).resolve() == DOCKERFILE


def test_heroku_release_phase_migrates(heroku: dict[str, Any]) -> None:
    release = heroku["release"]
    assert release["image"] in heroku["build"]["docker"]
    assert [ladeplan_args(command) for command in release["command"]] == [["migrate"]]


def test_heroku_web_is_the_gateway(heroku: dict[str, Any]) -> None:
    assert served_service(heroku["run"]["web"]) == "ocpp-gateway"


def test_heroku_processes_use_the_built_image(heroku: dict[str, Any]) -> None:
    for name, process in heroku["run"].items():
        assert re.fullmatch(r"[a-z0-9]+", name), f"process type {name!r}: keep Heroku names alphanumeric"
        if isinstance(process, dict):
            assert process["image"] in heroku["build"]["docker"], name
            assert len(process["command"]) == 1, name


def test_heroku_addons_provide_the_urls_the_services_read(heroku: dict[str, Any]) -> None:
    attached = {addon["plan"]: addon["as"] for addon in heroku["setup"]["addons"]}
    # An add-on attached as NAME sets NAME_URL.
    assert f"{attached['heroku-postgresql']}_URL" == "DATABASE_URL"
    assert f"{attached['cloudamqp']}_URL" in settings_env_names(ServiceSettings)
    # Heroku hands out postgres://, which the settings accept.
    settings = ServiceSettings(database_url="postgres://u:p@host:5432/db")
    assert settings.database_url == "postgresql://u:p@host:5432/db"


# --- both: the same processes -------------------------------------------------------------------


def heroku_commands(heroku: dict[str, Any]) -> list[str]:
    commands = list(heroku["release"]["command"])
    for process in heroku["run"].values():
        commands.extend(process["command"] if isinstance(process, dict) else [process])
    return commands


def test_compose_and_heroku_serve_exactly_the_known_services(compose: dict[str, Any], heroku: dict[str, Any]) -> None:
    served = [served_service(svc["command"]) for svc in ladeplan_compose_services(compose).values()]
    in_compose = {name for name in served if name is not None}
    in_heroku = {name for name in map(served_service, heroku_commands(heroku)) if name is not None}
    assert in_compose == set(BY_NAME), f"compose serves {sorted(in_compose)}, services.py has {sorted(BY_NAME)}"
    assert in_heroku == set(BY_NAME), f"heroku.yml serves {sorted(in_heroku)}, services.py has {sorted(BY_NAME)}"


def test_a_serve_command_for_an_unknown_service_is_refused() -> None:
    """The cross-check above relies on the parser refusing names that are not in SERVICES."""
    with pytest.raises(SystemExit):
        served_service("ladeplan serve billing-bridge-typo")


# --- Dockerfile and .dockerignore ---------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.split(None, 1) for line in lines if line and not line.startswith("#"))
    ]


def test_dockerfile_installs_the_locked_environment_with_the_makefiles_uv() -> None:
    makefile_uv = re.search(r"^UV_VERSION\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert makefile_uv is not None
    runs = [args for instruction, args in dockerfile_instructions() if instruction == "RUN"]
    assert any(f"uv=={makefile_uv.group(1)}" in run for run in runs), runs
    assert any(re.search(r"\buv sync --locked --no-dev\b", run) for run in runs), runs


def test_dockerfile_runtime_stage_is_non_root_and_runs_ladeplan() -> None:
    instructions = dockerfile_instructions()
    stages = [i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM"]
    assert len(stages) >= 2, "expected a multi-stage build"
    build_args = dict(a.split("=", 1) for i, a in instructions if i == "ARG" and "=" in a)
    base_images = {
        re.sub(r"\$\{(\w+)\}", lambda m: build_args[m.group(1)], args.split()[0])
        for instruction, args in instructions
        if instruction == "FROM"
    }
    assert base_images == {"python:3.11-slim"}

    runtime = instructions[stages[-1] :]
    users = [a for i, a in runtime if i == "USER"]
    assert users, "the runtime stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert any(i == "ENV" and "PATH=/app/.venv/bin:$PATH" in a for i, a in runtime)
    cmd = [a for i, a in runtime if i == "CMD"]
    assert cmd, "the runtime stage has no CMD"
    assert yaml.safe_load(cmd[-1])[0] == "ladeplan"  # exec form (a JSON list) runs ladeplan itself


def dockerignore_excludes(path: str) -> bool:
    """Whether a .dockerignore pattern excludes ``path`` or one of its parent folders.

    fnmatch's ``*`` also crosses ``/``, so this matches at least what Docker matches: a path it
    calls kept is kept by Docker too.
    """
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatch(prefix.rsplit("/", 1)[-1], pattern[3:])
            ):
                return True
    return False


def test_dockerignore_keeps_what_the_build_needs_and_drops_local_state() -> None:
    needed = ["pyproject.toml", "uv.lock", "README.md", "src/ladeplan/cli.py"]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("libs/*/pyproject.toml")]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("services/*/pyproject.toml")]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("services/*/migrations/env.py")]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("services/*/src/*/__main__.py")]
    assert len(needed) > 4
    kept_out = [path for path in needed if dockerignore_excludes(path)]
    assert not kept_out, f".dockerignore drops files the image needs: {kept_out}"
    for local in [".venv/bin/python", ".git/HEAD", "tests/e2e/ocpp-rpc/node_modules/ws/index.js", ".tools/bin/uv"]:
        assert dockerignore_excludes(local), f".dockerignore lets {local} into the build context"

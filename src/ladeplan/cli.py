"""``ladeplan``: the one command-line entry (``up``, ``migrate``, ``serve``, ``demo``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys

from ladeplan_platform.connectivity import DependencyMissing, check_rabbitmq, ensure_database
from ladeplan_platform.settings import ServiceSettings


def _check_dependencies(settings: ServiceSettings) -> None:
    # aiormq logs its own traceback-ish line for a refused connection; our one sentence says it better.
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)

    async def check() -> None:
        if await ensure_database(settings.database_url):
            print("ladeplan: created the database named in DATABASE_URL", file=sys.stderr)
        await check_rabbitmq(settings.amqp_url)

    asyncio.run(check())


def cmd_migrate(_: argparse.Namespace) -> int:
    from ladeplan.migrate import migrate_all

    settings = ServiceSettings()
    _check_dependencies(settings)
    for schema in migrate_all(settings.database_url):
        print(f"migrated schema {schema}", file=sys.stderr)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from ladeplan.migrate import migrate_all
    from ladeplan.supervisor import DEFAULT_OPERATOR_KEY, run_stack

    env = dict(os.environ)
    env.setdefault("OPERATOR_API_KEYS", DEFAULT_OPERATOR_KEY)
    settings = ServiceSettings()
    _check_dependencies(settings)
    migrate_all(settings.database_url)
    return run_stack(env, demo=not args.no_demo, gateways=args.gateways)


def cmd_serve(args: argparse.Namespace) -> int:
    import importlib

    from ladeplan.services import BY_NAME

    module = importlib.import_module(f"{BY_NAME[args.service].module}.__main__")
    module.main()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ladeplan.simulator.demo import run_demo
    from ladeplan_platform.logging import configure_logging

    configure_logging("demo")
    key = os.environ.get("OPERATOR_API_KEYS", "dev-operator-key").split(",")[0]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_demo(args.gateway_url, args.masterdata_url, key))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from ladeplan.services import BY_NAME

    parser = argparse.ArgumentParser(prog="ladeplan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="migrate, then run every service (and the demo site) until Ctrl-C")
    up.add_argument("--no-demo", action="store_true", help="start the stack without simulated charge points")
    up.add_argument("--gateways", type=int, default=1, help="gateway nodes side by side (ports 9000, 9001, ...)")
    up.set_defaults(handler=cmd_up)
    sub.add_parser("migrate", help="apply every service's migrations").set_defaults(handler=cmd_migrate)
    serve = sub.add_parser("serve", help="run one service in the foreground")
    serve.add_argument("service", choices=sorted(BY_NAME))
    serve.set_defaults(handler=cmd_serve)
    demo = sub.add_parser("demo", help="seed the demo site and run its simulated charge points")
    demo.add_argument("--gateway-url", default="ws://127.0.0.1:9000")
    demo.add_argument("--masterdata-url", default="http://127.0.0.1:8081")
    demo.set_defaults(handler=cmd_demo)
    # Listed for --help only: main() hands `receipts ...` to the receipts CLI with its own options.
    sub.add_parser(
        "receipts",
        help="receipts verify --public-key KEY DATA|-: check signed meter data (exit 0 valid, 1 invalid, 2 unusable); "
        "receipts verify-chain: check the stored records' hash chain (exit 0 intact, 1 broken)",
    )
    sub.add_parser("ems", help="ems plan --input FILE: plan a JSON charging scenario, print the plan as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["receipts"]:
        from receipts.cli import main as receipts_main

        return receipts_main(argv[1:])
    if argv[:1] == ["ems"]:
        from ems_adapter.cli import plan_main

        if argv[1:2] != ["plan"]:
            print("usage: ladeplan ems plan --input FILE", file=sys.stderr)
            return 2
        return plan_main(argv[2:])
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except DependencyMissing as missing:
        print(f"ladeplan: {missing}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())

"""``ladeplan ems plan --input FILE``: plan one JSON scenario with the built-in optimiser, print JSON.

Exit codes: 0 planned (infeasible demand is served as far as possible, never over the limit),
2 unusable input (unreadable file, invalid JSON or a scenario that breaks the schema).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from pydantic import ValidationError

from .domain.optimiser import solve
from .domain.scenario import Scenario, plan_document

EXIT_PLANNED, EXIT_UNUSABLE = 0, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ladeplan ems plan",
        description="Plan a site's charging: energy by departure first, then lowest cost, flattest peak, fairness.",
    )
    parser.add_argument("--input", required=True, metavar="FILE", help="the scenario as JSON, or - for standard input")
    return parser


def _banner_to_stderr() -> None:
    """HiGHS prints a licence banner to file descriptor 1 once per process; keep stdout pure JSON."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        highspy.Highs()  # type: ignore[no-untyped-call]  # highspy ships no stubs
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def plan_main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.input == "-":
            text = sys.stdin.read()
        else:
            with open(args.input, encoding="utf-8") as handle:
                text = handle.read()
        scenario = Scenario.model_validate_json(text)
    except OSError as error:
        print(f"ladeplan ems plan: cannot read {args.input}: {error.strerror}", file=sys.stderr)
        return EXIT_UNUSABLE
    except ValidationError as error:
        print(f"ladeplan ems plan: not a usable scenario: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    problem = scenario.problem()
    _banner_to_stderr()
    json.dump(plan_document(solve(problem), problem), sys.stdout)
    sys.stdout.write("\n")
    return EXIT_PLANNED

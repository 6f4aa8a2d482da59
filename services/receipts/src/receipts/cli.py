"""``ladeplan receipts verify`` and ``ladeplan receipts verify-chain``, each printing one JSON object.

``verify`` checks signed meter data against a published key. Exit codes: 0 verified, 1 invalid
or unsigned, 2 unusable input (not signed meter data, key text that is not hex/base64). Values
are printed as the exact text the meter signed.

``verify-chain`` checks the hash chain over every signed record stored in ``DATABASE_URL``'s
``receipts`` schema. Exit codes: 0 intact, 1 broken (``first_bad_id`` names where), 2 the
database cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .domain.crypto.keys import KeyEncodingError
from .domain.ocmf import OcmfParseError, OcmfRecord
from .domain.receipt import ReceiptCheck, verify_receipt
from .domain.signatures import MalformedSignedData, UnknownFormat

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2
USAGE = "usage: ladeplan receipts verify --public-key KEY DATA|- | ladeplan receipts verify-chain"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ladeplan receipts verify",
        description="Verify signed meter data (OCMF, also Alfen, EDL40, PCDF) against the meter's public key.",
    )
    parser.add_argument(
        "--public-key",
        required=True,
        metavar="KEY",
        help="the meter's published key: hex or base64 (OCMF: DER SubjectPublicKeyInfo)",
    )
    parser.add_argument("--token", help="the session's authorisation token; must match the data's ID if it has one")
    parser.add_argument("data", metavar="DATA", help="the signed data, or - to read it from standard input")
    return parser


def _record(record: OcmfRecord) -> dict[str, Any]:
    payload = record.payload
    return {
        "meter_serial": payload.meter_serial,
        "meter_vendor": payload.meter_vendor,
        "meter_model": payload.meter_model,
        "gateway_serial": payload.gateway_serial,
        "pagination": payload.pagination.text,
        "identification": payload.identification_data,
        "signature_algorithm": record.signature.algorithm,
        "readings": [reading.summary() for reading in payload.readings],
    }


def report(check: ReceiptCheck) -> dict[str, Any]:
    """The JSON object printed for a check (also the shape a future API can return)."""
    verdict = check.verdict
    result: dict[str, Any] = {"valid": verdict.verified, "outcome": verdict.outcome.value}
    if verdict.reason:
        result["reason"] = verdict.reason
    result["format"] = check.format.value
    result["signature_valid"] = check.signature.valid
    if check.record is not None:
        result.update(_record(check.record))
    if verdict.energy is not None and verdict.end is not None:
        result["energy"] = {"value": str(verdict.energy), "unit": verdict.end.unit}
    if verdict.notes:
        result["notes"] = list(verdict.notes)
    return result


def _print(result: dict[str, Any]) -> None:
    # ASCII escapes keep the output printable whatever a meter put into its strings.
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


def verify_main(argv: list[str] | None = None) -> int:
    """Entry point of ``ladeplan receipts verify --public-key KEY DATA``."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help (0) and on usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_UNUSABLE
    data = sys.stdin.read() if args.data == "-" else args.data
    try:
        check = verify_receipt(data, args.public_key, token=args.token)
    except (UnknownFormat, OcmfParseError, MalformedSignedData, KeyEncodingError) as error:
        _print({"valid": False, "outcome": "unusable", "reason": str(error)})
        return EXIT_UNUSABLE
    _print(report(check))
    return EXIT_VALID if check.verdict.verified else EXIT_INVALID


def verify_chain_main(argv: list[str] | None = None) -> int:
    """Entry point of ``ladeplan receipts verify-chain`` (the database from ``DATABASE_URL``)."""
    import asyncio

    import asyncpg

    from .config import SCHEMA, Settings
    from .use_cases.chain import verify_chain

    parser = argparse.ArgumentParser(
        prog="ladeplan receipts verify-chain",
        description="Check the hash chain over every stored signed record (DATABASE_URL).",
    )
    try:
        parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_UNUSABLE

    async def check() -> dict[str, Any]:
        conn = await asyncpg.connect(Settings().database_url, server_settings={"search_path": SCHEMA})
        try:
            report = await verify_chain(conn)
        finally:
            await conn.close()
        result: dict[str, Any] = {"valid": report.valid, "records": report.records, "head": report.head}
        if not report.valid:
            result.update(first_bad_id=report.first_bad_id, reason=report.reason)
        return result

    try:
        result = asyncio.run(check())
    except (OSError, asyncpg.PostgresError) as error:
        _print({"valid": False, "reason": f"cannot read the signed records: {error.__class__.__name__}: {error}"})
        return EXIT_UNUSABLE
    _print(result)
    return EXIT_VALID if result["valid"] else EXIT_INVALID


def main(argv: list[str]) -> int:
    """``ladeplan receipts <command> ...``."""
    commands = {"verify": verify_main, "verify-chain": verify_chain_main}
    command = commands.get(argv[0]) if argv else None
    if command is None:
        print(USAGE, file=sys.stderr)
        return EXIT_UNUSABLE
    return command(argv[1:])

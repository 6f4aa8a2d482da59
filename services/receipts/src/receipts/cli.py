"""``ladeplan receipts verify``: check signed meter data against a published key, print JSON.

Exit codes: 0 verified, 1 invalid or unsigned, 2 unusable input (not signed meter data, key
text that is not hex/base64). Values are printed as the exact text the meter signed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .domain.crypto.keys import KeyEncodingError
from .domain.ocmf import OcmfParseError, OcmfRecord, Reading
from .domain.receipt import ReceiptCheck, verify_receipt
from .domain.signatures import MalformedSignedData, UnknownFormat

EXIT_VALID, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


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


def _reading(reading: Reading) -> dict[str, Any]:
    time = reading.time
    return {
        "time": time.at.isoformat(timespec="milliseconds") if time else None,
        "time_sync": time.sync.value if time else None,
        "reason": reading.reason.value if reading.reason else None,
        "value": reading.value_text,
        "unit": reading.unit,
        "register": reading.register,
        "status": reading.status.value if reading.status else None,
        "error_flags": reading.error_flags,
    }


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
        "readings": [_reading(reading) for reading in payload.readings],
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

"""Meter keys configured by the operator (from the charge point's label or the meter's certificate)."""

from __future__ import annotations

import asyncpg
import structlog

from ladeplan_platform.db import transaction
from receipts.domain.crypto.keys import KeyEncodingError, key_encoding, key_readings
from receipts.domain.verification import KeySource
from receipts.repository import keys as repo
from receipts.repository.keys import KeyRecord

log = structlog.get_logger("receipts.meter_keys")


class InvalidKey(ValueError):
    """Key text that cannot be read in the stated (or any) encoding."""


class MeterKeys:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def configure(self, charge_point_id: str, evse_id: int, public_key: str, encoding: str | None) -> KeyRecord:
        """Record the key the EVSE's meter signs with; receipts issued from now on are checked with it.

        Earlier receipts stay as issued; an operator asks for a new version (``reissue``) to check
        a session again with this key. ``evse_id`` 0 stands for every EVSE of the charge point.
        """
        text = public_key.strip()
        try:
            detected = key_encoding(text)
        except KeyEncodingError as error:
            raise InvalidKey(str(error)) from None
        if encoding is not None and encoding not in {name for name, _ in key_readings(text)}:
            raise InvalidKey(f"the key is not {encoding} text")
        async with transaction(self._pool, "meter_key.configure") as conn:
            record = await repo.add_key(
                conn, charge_point_id, evse_id, text, encoding=encoding or detected, source=KeySource.OPERATOR_API
            )
        log.info("meter_key.configured", charge_point_id=charge_point_id, evse_id=evse_id, encoding=record.encoding)
        return record

    async def history(self, charge_point_id: str, evse_id: int | None = None) -> list[KeyRecord]:
        async with self._pool.acquire() as conn:
            return await repo.keys_of(conn, charge_point_id, evse_id)

"""Checking the hash chain over every stored signed record (``ladeplan receipts verify-chain``)."""

from __future__ import annotations

import asyncpg

from receipts.domain.chain import ChainReport, ChainVerifier
from receipts.repository.records import chain_links


async def verify_chain(conn: asyncpg.Connection) -> ChainReport:
    """Walk the chain in one snapshot, stopping at the first broken link."""
    verifier = ChainVerifier()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for link in chain_links(conn):
            if not verifier.add(link):
                break
    return verifier.report()

"""What an operator can do with master data. Every write commits its rows and the event announcing
them in one transaction (transactional outbox), then wakes the relay so the event leaves at once.

Inputs arrive validated by the API against ``domain.rules``; ids in URLs are checked here, because
an id that cannot exist is simply not found.
"""

from __future__ import annotations

import asyncpg
import structlog

from ladeplan_contracts.events import (
    ChargePointCreated,
    LocationCreated,
    TokenCreated,
    TokenUpdated,
    UserCreated,
)
from ladeplan_contracts.events import Connector as ConnectorEvent
from ladeplan_platform.db import transaction
from ladeplan_platform.outbox import OutboxRelay, add_to_outbox
from masterdata import repository
from masterdata.authentication import ChargePointAuthenticator
from masterdata.domain import rules
from masterdata.domain.errors import NotFound
from masterdata.domain.model import ChargePoint, Connector, Location, Token, TokenStatus, TokenType, User

log = structlog.get_logger("masterdata.use_cases")


class MasterData:
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay, authenticator: ChargePointAuthenticator) -> None:
        self._pool = pool
        self._relay = relay
        self._authenticator = authenticator

    # --- locations ---------------------------------------------------------------------------------

    async def create_location(self, name: str, timezone: str, grid_limit_kw: float) -> Location:
        async with transaction(self._pool, "create_location") as conn:
            location = await repository.insert_location(conn, rules.new_id(), name, timezone, grid_limit_kw)
            await add_to_outbox(
                conn,
                LocationCreated(
                    location_id=location.id,
                    name=location.name,
                    timezone=location.timezone,
                    grid_limit_kw=location.grid_limit_kw,
                ),
            )
        self._relay.wake()
        log.info("location.created", location_id=location.id, timezone=timezone, grid_limit_kw=grid_limit_kw)
        return location

    async def location(self, location_id: str) -> Location:
        key = rules.parse_uuid(location_id)
        location = None if key is None else await repository.get_location(self._pool, key)
        if location is None:
            raise NotFound("location", location_id)
        return location

    async def locations(self, limit: int, offset: int) -> list[Location]:
        return await repository.list_locations(self._pool, limit, offset)

    # --- charge points -----------------------------------------------------------------------------

    async def create_charge_point(
        self, charge_point_id: str, location_id: str, password: str, connectors: list[Connector]
    ) -> ChargePoint:
        """Register a charge point; its password is kept only as an argon2 hash."""
        # Hash before the transaction: no pooled connection sits idle during the slow argon2 run.
        password_hash = await self._authenticator.hash_password(password)
        async with transaction(self._pool, "create_charge_point") as conn:
            charge_point = await repository.insert_charge_point(
                conn, charge_point_id, location_id, password_hash, connectors
            )
            await add_to_outbox(
                conn,
                ChargePointCreated(
                    charge_point_id=charge_point.id,
                    location_id=charge_point.location_id,
                    connectors=[
                        ConnectorEvent(connector_id=c.connector_id, max_power_kw=c.max_power_kw)
                        for c in charge_point.connectors
                    ],
                ),
                charge_point_id=charge_point.id,
            )
        self._relay.wake()
        log.info(
            "chargepoint.created",
            charge_point_id=charge_point.id,
            location_id=charge_point.location_id,
            connectors=len(charge_point.connectors),
        )
        return charge_point

    async def charge_point(self, charge_point_id: str) -> ChargePoint:
        charge_point = await repository.get_charge_point(self._pool, charge_point_id)
        if charge_point is None:
            raise NotFound("charge point", charge_point_id)
        return charge_point

    async def charge_points(self, limit: int, offset: int) -> list[ChargePoint]:
        return await repository.list_charge_points(self._pool, limit, offset)

    # --- users -------------------------------------------------------------------------------------

    async def create_user(self, email: str, name: str) -> User:
        async with transaction(self._pool, "create_user") as conn:
            user = await repository.insert_user(conn, rules.new_id(), email, name)
            await add_to_outbox(conn, UserCreated(user_id=user.id, email=user.email, name=user.name))
        self._relay.wake()
        log.info("user.created", user_id=user.id)
        return user

    async def user(self, user_id: str) -> User:
        key = rules.parse_uuid(user_id)
        user = None if key is None else await repository.get_user(self._pool, key)
        if user is None:
            raise NotFound("user", user_id)
        return user

    async def users(self, limit: int, offset: int) -> list[User]:
        return await repository.list_users(self._pool, limit, offset)

    # --- tokens ------------------------------------------------------------------------------------

    async def create_token(self, user_id: str, uid: str, token_type: TokenType) -> Token:
        """Give a user a new, active token; the uid must be unused in any letter case."""
        key = rules.parse_uuid(user_id)
        if key is None:
            raise NotFound("user", user_id)
        async with transaction(self._pool, "create_token") as conn:
            token = await repository.insert_token(conn, uid, token_type, key, "active")
            await add_to_outbox(
                conn, TokenCreated(uid=token.uid, type=token.type, user_id=token.user_id, status=token.status)
            )
        self._relay.wake()
        log.info("token.created", token_uid=token.uid, token_type=token.type, user_id=token.user_id)
        return token

    async def tokens(self, user_id: str) -> list[Token]:
        user = await self.user(user_id)
        return await repository.list_tokens(self._pool, user.id)

    async def token(self, uid: str) -> Token:
        token = await repository.get_token(self._pool, uid)
        if token is None:
            raise NotFound("token", uid)
        return token

    async def set_token_status(self, uid: str, status: TokenStatus) -> Token:
        """Activate, block or expire a token; setting the status it has already changes and publishes nothing."""
        async with transaction(self._pool, "set_token_status") as conn:
            # Row lock: two concurrent changes publish their events in the order they commit.
            token = await repository.get_token(conn, uid, for_update=True)
            if token is None:
                raise NotFound("token", uid)
            if token.status == status:
                return token
            updated = await repository.set_token_status(conn, token.uid, status)
            await add_to_outbox(
                conn,
                TokenUpdated(uid=updated.uid, type=updated.type, user_id=updated.user_id, status=updated.status),
            )
        self._relay.wake()
        log.info("token.status_changed", token_uid=updated.uid, status=status, previous=token.status)
        return updated

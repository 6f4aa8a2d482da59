"""JSON bodies of the operator API. Request models validate with ``domain.rules``, response models
are built from domain records; both feed the OpenAPI document, so it cannot drift from the traffic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from masterdata.domain import rules
from masterdata.domain.model import ChargePoint, Connector, Location, Token, TokenStatus, TokenType, User

# Strict: a JSON string is no number and 1.5 is no connector id; an operator's typo should be a 422.
_REQUEST = ConfigDict(extra="forbid", strict=True)
_RESPONSE = ConfigDict(extra="forbid", frozen=True)
_INT4_MAX = 2**31 - 1  # PostgreSQL integer


def _location_id(value: str) -> str:
    canonical = rules.parse_uuid(value)
    if canonical is None:
        raise ValueError("must be a location id (UUID)")
    return canonical


Name = Annotated[
    str,
    AfterValidator(rules.display_name),
    Field(description="1 to 200 characters.", json_schema_extra={"minLength": 1, "maxLength": 200}),
]
Power = Annotated[float, Field(gt=0, allow_inf_nan=False, description="Kilowatts, greater than 0.")]


class LocationIn(BaseModel):
    model_config = _REQUEST

    name: Name
    timezone: Annotated[
        str, AfterValidator(rules.timezone), Field(description="IANA name.", examples=["Europe/Berlin"])
    ]
    grid_limit_kw: Power


class ConnectorIn(BaseModel):
    model_config = _REQUEST

    connector_id: int = Field(ge=1, le=_INT4_MAX, description="OCPP connector id, from 1.")
    max_power_kw: Power


class ChargePointIn(BaseModel):
    model_config = _REQUEST

    id: Annotated[
        str,
        AfterValidator(rules.charge_point_id),
        Field(
            description="OCPP identity: the websocket URL's last segment and the HTTP Basic user name.",
            json_schema_extra={"pattern": rules.CHARGE_POINT_ID_PATTERN},
        ),
    ]
    location_id: Annotated[str, AfterValidator(_location_id), Field(description="Id of an existing location.")]
    password: Annotated[
        str,
        AfterValidator(rules.charge_point_password),
        Field(
            description="OCPP BasicAuthPassword: 16 to 40 printable ASCII characters, stored only as a hash.",
            json_schema_extra={
                "minLength": rules.PASSWORD_MIN_LENGTH,
                "maxLength": rules.PASSWORD_MAX_LENGTH,
                "format": "password",
                "writeOnly": True,
            },
        ),
    ]
    connectors: list[ConnectorIn] = Field(min_length=1, max_length=128)

    @field_validator("connectors")
    @classmethod
    def _unique_connectors(cls, value: list[ConnectorIn]) -> list[ConnectorIn]:
        rules.unique_connector_ids(c.connector_id for c in value)
        return value

    def connector_records(self) -> list[Connector]:
        return [Connector(c.connector_id, c.max_power_kw) for c in self.connectors]


class UserIn(BaseModel):
    model_config = _REQUEST

    email: Annotated[
        str, AfterValidator(rules.email), Field(description="Unique regardless of letter case.", examples=["a@b.de"])
    ]
    name: Name


class TokenIn(BaseModel):
    model_config = _REQUEST

    uid: Annotated[
        str,
        AfterValidator(rules.token_uid),
        Field(
            description="OCPP IdToken, 1 to 36 printable ASCII characters; unique regardless of letter case.",
            json_schema_extra={"minLength": 1, "maxLength": rules.TOKEN_UID_MAX_LENGTH},
        ),
    ]
    type: TokenType


class TokenPatch(BaseModel):
    model_config = _REQUEST

    status: TokenStatus


class ListQuery(BaseModel):
    """Paging of list endpoints; query values arrive as text, hence not strict."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class LocationOut(BaseModel):
    model_config = _RESPONSE

    id: str
    name: str
    timezone: str
    grid_limit_kw: float
    created_at: datetime

    @classmethod
    def of(cls, location: Location) -> LocationOut:
        return cls(
            id=location.id,
            name=location.name,
            timezone=location.timezone,
            grid_limit_kw=location.grid_limit_kw,
            created_at=location.created_at,
        )


class ConnectorOut(BaseModel):
    model_config = _RESPONSE

    connector_id: int
    max_power_kw: float


class ChargePointOut(BaseModel):
    """A charge point without its password or hash: neither ever leaves the service."""

    model_config = _RESPONSE

    id: str
    location_id: str
    connectors: list[ConnectorOut]
    created_at: datetime

    @classmethod
    def of(cls, charge_point: ChargePoint) -> ChargePointOut:
        return cls(
            id=charge_point.id,
            location_id=charge_point.location_id,
            connectors=[
                ConnectorOut(connector_id=c.connector_id, max_power_kw=c.max_power_kw) for c in charge_point.connectors
            ],
            created_at=charge_point.created_at,
        )


class UserOut(BaseModel):
    model_config = _RESPONSE

    id: str
    email: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, email=user.email, name=user.name, created_at=user.created_at)


class TokenOut(BaseModel):
    model_config = _RESPONSE

    uid: str
    type: TokenType
    user_id: str
    status: TokenStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, token: Token) -> TokenOut:
        return cls(
            uid=token.uid,
            type=token.type,
            user_id=token.user_id,
            status=token.status,
            created_at=token.created_at,
            updated_at=token.updated_at,
        )


class LocationList(BaseModel):
    model_config = _RESPONSE
    items: list[LocationOut]


class ChargePointList(BaseModel):
    model_config = _RESPONSE
    items: list[ChargePointOut]


class UserList(BaseModel):
    model_config = _RESPONSE
    items: list[UserOut]


class TokenList(BaseModel):
    model_config = _RESPONSE
    items: list[TokenOut]

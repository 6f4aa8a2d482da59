"""Locations, charge points with their connectors and credentials, users and their tokens; outbox/inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

from ladeplan_platform.outbox import OUTBOX_DDL

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The CHECKs repeat the API's rules so that no other writer (a script, a hand-made fix) can store
    # rows the API would refuse; the rules live in masterdata.domain.rules.
    op.execute("""
    CREATE TABLE locations (
        id             uuid PRIMARY KEY,
        name           text             NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        timezone       text             NOT NULL,
        grid_limit_kw  double precision NOT NULL CHECK (grid_limit_kw > 0),
        created_at     timestamptz      NOT NULL DEFAULT now()
    );

    CREATE TABLE charge_points (
        id             text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,48}$'),
        location_id    uuid        NOT NULL REFERENCES locations (id),
        password_hash  text        NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX charge_points_location ON charge_points (location_id);

    CREATE TABLE connectors (
        charge_point_id  text             NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
        connector_id     integer          NOT NULL CHECK (connector_id >= 1),
        max_power_kw     double precision NOT NULL CHECK (max_power_kw > 0),
        PRIMARY KEY (charge_point_id, connector_id)
    );

    CREATE TABLE users (
        id          uuid PRIMARY KEY,
        email       text        NOT NULL,
        name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        created_at  timestamptz NOT NULL DEFAULT now()
    );
    -- Addresses differ only in case belong to one person: unique case-insensitively, stored as given.
    CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

    CREATE TABLE tokens (
        uid         text PRIMARY KEY CHECK (length(uid) BETWEEN 1 AND 36),
        type        text        NOT NULL CHECK (type IN (
                        'RFID', 'ISO14443', 'ISO15693', 'eMAID', 'Central', 'KeyCode', 'Local', 'MacAddress')),
        user_id     uuid        NOT NULL REFERENCES users (id),
        status      text        NOT NULL CHECK (status IN ('active', 'blocked', 'expired')),
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
    );
    -- OCPP compares id tokens case-insensitively (CiString), so 04AB and 04ab are one token.
    CREATE UNIQUE INDEX tokens_uid_unique ON tokens (lower(uid));
    CREATE INDEX tokens_user ON tokens (user_id);
    """)
    op.execute(OUTBOX_DDL)


def downgrade() -> None:
    op.execute("DROP TABLE tokens, users, connectors, charge_points, locations, outbox, inbox")

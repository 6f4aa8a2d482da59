"""Read models (locations, charge points), charging demand, plans, sent profiles, outbox/inbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from alembic import op

from ladeplan_platform.outbox import OUTBOX_DDL

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- Read model of masterdata's locations: the grid connection each site plans against.
    CREATE TABLE locations (
        location_id   text PRIMARY KEY,
        name          text             NOT NULL,
        timezone      text             NOT NULL,
        grid_limit_kw double precision NOT NULL CHECK (grid_limit_kw >= 0),
        updated_at    timestamptz      NOT NULL DEFAULT now()
    );

    -- Read model of masterdata's charge points: where each stands and what each connector can give.
    CREATE TABLE charge_points (
        charge_point_id text PRIMARY KEY,
        location_id     text  NOT NULL,
        connectors      jsonb NOT NULL,  -- {"<connector id>": max power kW}
        -- The unit charging profiles go out in; A is what 1.6 and 2.x charge points all accept.
        profile_unit    text  NOT NULL DEFAULT 'A' CHECK (profile_unit IN ('A', 'W')),
        updated_at      timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX charge_points_location ON charge_points (location_id);

    -- TxProfile ids: unique per charge point is enough for OCPP; one sequence keeps it simple.
    CREATE SEQUENCE tx_profile_ids AS integer MINVALUE 1000;

    -- A charging session as demand: from transaction.started until transaction.ended / session.completed.
    CREATE TABLE sessions (
        session_id       text PRIMARY KEY,
        charge_point_id  text             NOT NULL,
        evse_id          integer          NOT NULL,
        connector_id     integer          NOT NULL,
        transaction_ref  text             NOT NULL,
        started_at       timestamptz      NOT NULL,
        ended_at         timestamptz,
        profile_id       integer          NOT NULL DEFAULT nextval('tx_profile_ids'),
        -- Energy delivered so far, estimated from the plans in force (no meter values consumed yet).
        delivered_kwh    double precision NOT NULL DEFAULT 0,
        delivered_until  timestamptz      NOT NULL
    );
    CREATE INDEX sessions_active ON sessions (charge_point_id) WHERE ended_at IS NULL;
    -- Not unique: a 2.x charge point may reuse a reference after a reset; session_id tells them apart.
    CREATE INDEX sessions_reference ON sessions (charge_point_id, transaction_ref);

    -- What an EV said it needs (NotifyEVChargingNeeds), the latest per EVSE.
    CREATE TABLE charging_needs (
        charge_point_id     text        NOT NULL,
        evse_id             integer     NOT NULL,
        received_at         timestamptz NOT NULL,
        requested_energy_wh double precision,
        departure_at        timestamptz,
        min_power_kw        double precision,
        max_power_kw        double precision,
        phases              integer,
        PRIMARY KEY (charge_point_id, evse_id)
    );

    -- The latest plan of every location (the document published as ems.plan.updated).
    CREATE SEQUENCE plan_ids AS bigint MINVALUE 1;
    CREATE TABLE plans (
        location_id text PRIMARY KEY,
        plan_id     bigint      NOT NULL,
        planned_at  timestamptz NOT NULL,
        document    jsonb       NOT NULL
    );

    -- The profile each charge point holds, as last accepted: the change filter compares with it.
    CREATE TABLE sent_profiles (
        charge_point_id text        NOT NULL,
        evse_id         integer     NOT NULL,
        purpose         text        NOT NULL,
        profile         jsonb       NOT NULL,
        sent_at         timestamptz NOT NULL,
        PRIMARY KEY (charge_point_id, evse_id, purpose)
    );
    """)
    op.execute(OUTBOX_DDL)


def downgrade() -> None:
    op.execute("""
    DROP TABLE inbox; DROP TABLE outbox; DROP TABLE sent_profiles; DROP TABLE plans; DROP SEQUENCE plan_ids;
    DROP TABLE charging_needs; DROP TABLE sessions; DROP SEQUENCE tx_profile_ids;
    DROP TABLE charge_points; DROP TABLE locations;
    """)

"""OSCP 2.0 peer (tokens, handshake, heartbeats), capacity forecasts per group, external EMS plans.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- The Capacity Provider ladeplan speaks OSCP 2.0 with (one per deployment).
    CREATE TABLE oscp_peer (
        peer                      text PRIMARY KEY DEFAULT 'provider' CHECK (peer = 'provider'),
        -- Ours is only compared, so only its SHA-256 is kept (a random 256-bit token needs no slow hash).
        our_token_sha256          text,
        -- Theirs must be sent with every message: kept as received, never logged.
        peer_token                text,
        peer_base_url             text,
        registered_at             timestamptz,
        -- What the provider required of us in its Handshake.
        heartbeat_interval_s      integer CHECK (heartbeat_interval_s >= 1),
        measurement_configuration jsonb NOT NULL DEFAULT '[]',
        handshake_sent_at         timestamptz,
        acknowledged_at           timestamptz,
        -- The provider's last Heartbeat: past offline_mode_at it counts as offline (fallback capacity).
        peer_heartbeat_at         timestamptz,
        peer_offline_mode_at      timestamptz,
        updated_at                timestamptz NOT NULL DEFAULT now()
    );

    -- OSCP groups (from OSCP_GROUPS) and the location each one is; when its measurements were last sent.
    CREATE TABLE oscp_groups (
        group_id          text PRIMARY KEY,
        location_id       text NOT NULL,
        last_measured_at  timestamptz,
        last_measured_kwh double precision
    );

    -- Forecasted blocks as received (converted to kW only when planning), per group and forecast type.
    CREATE TABLE oscp_forecasts (
        group_id    text             NOT NULL REFERENCES oscp_groups ON DELETE CASCADE,
        type        text             NOT NULL,
        start_time  timestamptz      NOT NULL,
        end_time    timestamptz      NOT NULL CHECK (end_time > start_time),
        capacity    double precision NOT NULL,
        unit        text             NOT NULL CHECK (unit IN ('A', 'W', 'KW', 'WH', 'KWH')),
        phase       text             NOT NULL,
        received_at timestamptz      NOT NULL
    );
    CREATE INDEX oscp_forecasts_group ON oscp_forecasts (group_id, type, end_time);

    -- The plan an external EMS sent for a location (PUT /api/v1/locations/{id}/plan), in force until it ends.
    CREATE TABLE external_plans (
        location_id  text PRIMARY KEY,
        received_at  timestamptz NOT NULL,
        start        timestamptz NOT NULL,
        slot_seconds integer     NOT NULL,
        power_kw     jsonb       NOT NULL  -- {"<session id>": [kW per slot]}
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE external_plans; DROP TABLE oscp_forecasts; DROP TABLE oscp_groups; DROP TABLE oscp_peer;")

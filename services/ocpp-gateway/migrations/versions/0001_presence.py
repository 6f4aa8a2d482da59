"""Node presence: which gateway node holds each charge point's socket, with a takeover epoch.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE connections (
        charge_point_id  text PRIMARY KEY,
        node_id          text        NOT NULL,
        epoch            bigint      NOT NULL,
        ocpp_version     text        NOT NULL,
        remote_address   text,
        connected_at     timestamptz NOT NULL,
        disconnected_at  timestamptz,
        last_seen_at     timestamptz NOT NULL
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE connections")

"""Read model of what the gateway reports about each charge point: connection, boot info, firmware, last seen.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Kept from chargepoint.* events (masterdata.status_projection). No foreign key to charge_points:
    # a read model must never refuse an event, and the API only shows rows of registered charge points.
    # The *_at columns order late or repeated events: an older event never overwrites a newer one.
    op.execute("""
    CREATE TABLE charge_point_status (
        charge_point_id      text PRIMARY KEY,
        connected            boolean     NOT NULL DEFAULT false,
        ocpp_version         text,
        node_id              text,
        epoch                bigint,
        connected_at         timestamptz,
        disconnected_at      timestamptz,
        last_seen_at         timestamptz,
        vendor               text,
        model                text,
        serial_number        text,
        firmware_version     text,
        boot_reason          text,
        booted_at            timestamptz,
        firmware_status      text,
        firmware_request_id  bigint,
        firmware_status_at   timestamptz
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE charge_point_status")

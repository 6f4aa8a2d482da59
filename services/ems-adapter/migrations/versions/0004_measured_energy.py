"""Measured energy: each running session's latest session.energy.measured from session-manager.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- What the meter says the session drew up to measured_at (session.energy.measured, the newest).
    -- measured_pending: not yet taken into delivered_kwh by a replan. Once taken, later replans go on
    -- from delivered_kwh/delivered_until, since the plan the measurement was followed by is gone.
    ALTER TABLE sessions
        ADD COLUMN measured_kwh     double precision CHECK (measured_kwh >= 0),
        ADD COLUMN measured_at      timestamptz,
        ADD COLUMN measured_pending boolean NOT NULL DEFAULT false;
    """)


def downgrade() -> None:
    op.execute("""
    ALTER TABLE sessions DROP COLUMN measured_kwh, DROP COLUMN measured_at, DROP COLUMN measured_pending;
    """)

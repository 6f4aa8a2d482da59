"""A charge point's pending password: valid beside the current one until the charge point logs in with it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Set when a password rotation sends a new password, promoted to password_hash at the charge
    # point's first login with it, dropped when the charge point refuses it (masterdata.rotation).
    op.execute("""
    ALTER TABLE charge_points
        ADD COLUMN pending_password_hash  text,
        ADD COLUMN pending_password_since timestamptz,
        ADD CONSTRAINT charge_points_pending_password_complete
            CHECK ((pending_password_hash IS NULL) = (pending_password_since IS NULL));
    """)


def downgrade() -> None:
    op.execute("""
    ALTER TABLE charge_points
        DROP CONSTRAINT charge_points_pending_password_complete,
        DROP COLUMN pending_password_since,
        DROP COLUMN pending_password_hash;
    """)

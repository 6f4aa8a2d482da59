"""Keep OCPP 2.x's unitOfMeasure.multiplier with each reading, so energy is scaled correctly.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Readings stored before had no multiplier from any charge point we served: 0 is what they meant.
    op.execute("ALTER TABLE meter_values ADD COLUMN multiplier integer NOT NULL DEFAULT 0")


def downgrade() -> None:
    op.execute("ALTER TABLE meter_values DROP COLUMN multiplier")

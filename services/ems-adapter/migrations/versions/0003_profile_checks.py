"""Read-back verdicts: each charge point's composite schedule compared with the profiles it was sent.

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
    op.execute("""
    -- The last GetCompositeSchedule read-back per charge point (use_cases/readback.py); only the latest
    -- matters to an operator, and a mismatch also drops the charge point's sent_profiles rows so the
    -- next replan sends them again.
    CREATE TABLE profile_checks (
        charge_point_id text PRIMARY KEY,
        checked_at      timestamptz NOT NULL,
        verdict         text        NOT NULL CHECK (verdict IN ('verified', 'mismatch', 'not_verified')),
        detail          text,
        -- Where the reported schedule differed most from ours (mismatch only).
        evse_id         integer,
        differs_at      timestamptz,
        expected_kw     double precision,
        reported_kw     double precision
    );
    """)


def downgrade() -> None:
    op.execute("DROP TABLE profile_checks;")

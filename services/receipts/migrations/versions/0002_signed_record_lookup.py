"""Find a signed value in the chain by where and when it was sampled, so a retried CALL is stored once.

A charge point that got no answer sends its CALL again and the gateway publishes it in a new bus
message, possibly under a new OCPP message id. Capture looks the value up before appending it
(``repository/records.py``), under the chain lock that every append holds. A unique index cannot
do it: ``signed_records`` is append-only, so copies stored before this revision stay forever and
would make one fail to build.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE INDEX signed_records_by_sample ON signed_records (charge_point_id, transaction_ref, sampled_at);
    """)


def downgrade() -> None:
    # Only the index goes; no record is touched (0001 is the revision that refuses a downgrade).
    op.execute("DROP INDEX signed_records_by_sample;")

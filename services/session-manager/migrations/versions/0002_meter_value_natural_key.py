"""A meter value is stored once: a unique natural key over what identifies a reading.

A charge point that got no answer to a CALL (the socket dropped after the gateway had published
it) sends it again, under the same OCPP message id or a new one, and the gateway publishes it in a
new envelope; the inbox (keyed by envelope) cannot see that. The reading itself can: the same
charge point, EVSE, connector and transaction, sample time, measurand, phase, context, location,
unit and value text is the same observation, so it is kept once (``ON CONFLICT DO NOTHING``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The value is hashed: a 1.6 SignedData value is the whole signed record (often hex), which can
# exceed what a btree entry holds (~2.7 kB). md5 is immutable, as an index expression must be, and
# is no security boundary here: it only tells apart values of one charge point's reading at one
# instant. NULLS NOT DISTINCT: a value without transaction (or phase, context, ...) is a duplicate
# of another without one. The repository's ON CONFLICT target repeats this list.
# The charge point and transaction lead, so the index also finds a transaction's values.
NATURAL_KEY = (
    "charge_point_id, transaction_ref, sampled_at, evse_id, connector_id, measurand, phase, context, location, "
    "unit, md5(value)"
)


def upgrade() -> None:
    # Copies stored before this revision would make the unique index fail; the first one stays
    # (the lowest id, as received first). Energies already computed do not change: duplicates never
    # moved a session's max - min, and completed sessions keep their stored energy anyway.
    op.execute(f"""
    DELETE FROM meter_values WHERE id IN (
        SELECT id FROM (
            SELECT id, row_number() OVER (PARTITION BY {NATURAL_KEY} ORDER BY id) AS copy FROM meter_values
        ) numbered
        WHERE copy > 1
    );
    CREATE UNIQUE INDEX meter_values_natural_key ON meter_values ({NATURAL_KEY}) NULLS NOT DISTINCT;
    """)


def downgrade() -> None:
    # The copies removed by upgrade() are not restored: they repeated rows that are still there.
    op.execute("DROP INDEX meter_values_natural_key;")

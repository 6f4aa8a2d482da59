"""Sessions, their meter values, the token read model, and the outbox/inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

from ladeplan_platform.outbox import OUTBOX_DDL

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    -- Read model of masterdata's tokens, fed by masterdata.token.* events.
    -- updated_at is the occurred_at of the last applied event, so an older event never wins.
    CREATE TABLE tokens (
        uid        text PRIMARY KEY,
        type       text        NOT NULL,
        user_id    text        NOT NULL,
        status     text        NOT NULL CHECK (status IN ('active', 'blocked', 'expired')),
        updated_at timestamptz NOT NULL
    );
    -- OCPP id tokens are case-insensitive strings (CiString), so look-ups go through lower(uid).
    CREATE INDEX tokens_uid_ci ON tokens (lower(uid));

    -- OCPP 1.6 transactionId is a JSON integer that many charge points keep in 32 bits.
    CREATE SEQUENCE transaction_ids AS integer MINVALUE 1;

    CREATE TABLE sessions (
        id                       uuid PRIMARY KEY,
        charge_point_id          text        NOT NULL,
        evse_id                  integer,
        connector_id             integer,
        transaction_id           integer     NOT NULL UNIQUE DEFAULT nextval('transaction_ids'),
        transaction_ref          text        NOT NULL,
        -- true when session-manager made up the reference (OCPP 1.6), false when the charge point did (2.x).
        transaction_ref_assigned boolean     NOT NULL,
        token_uid                text,
        user_id                  text,
        authorization_status     text        NOT NULL,
        status                   text        NOT NULL CHECK (status IN ('active', 'completed')),
        started_at               timestamptz,
        meter_start_wh           bigint,
        ended_at                 timestamptz,
        meter_stop_wh            bigint,
        stop_reason              text,
        stop_token_uid           text,
        energy_wh                bigint,
        energy_source            text,
        -- The end of a transaction nobody saw start (e.g. begun under another backend): kept, never dropped.
        unknown_start            boolean     NOT NULL DEFAULT false,
        created_at               timestamptz NOT NULL DEFAULT now(),
        updated_at               timestamptz NOT NULL DEFAULT now(),
        CHECK (unknown_start OR (started_at IS NOT NULL AND evse_id IS NOT NULL AND connector_id IS NOT NULL)),
        CHECK (status = 'active' OR ended_at IS NOT NULL)
    );
    ALTER SEQUENCE transaction_ids OWNED BY sessions.transaction_id;

    -- Idempotent StartTransaction: a 1.6 retry repeats these five values, a 2.x retry its own reference.
    CREATE UNIQUE INDEX sessions_ocpp16_start
        ON sessions (charge_point_id, connector_id, started_at, token_uid, meter_start_wh)
        NULLS NOT DISTINCT WHERE transaction_ref_assigned;
    -- Only among running sessions: a charge point retries a start before it sends anything later of
    -- that transaction, so a reference arriving again after its session ended is a new transaction
    -- (charge points counting ids restart after a reset) and must not land in the old session.
    CREATE UNIQUE INDEX sessions_active_charge_point_ref
        ON sessions (charge_point_id, transaction_ref) WHERE NOT transaction_ref_assigned AND status = 'active';
    CREATE INDEX sessions_by_ref ON sessions (charge_point_id, transaction_ref);
    CREATE INDEX sessions_newest ON sessions ((COALESCE(started_at, ended_at)) DESC);
    CREATE INDEX sessions_charge_point_newest
        ON sessions (charge_point_id, (COALESCE(started_at, ended_at)) DESC);

    -- Every sampled value as received. Rows of a transaction we do not know keep session_id NULL.
    CREATE TABLE meter_values (
        id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id          uuid REFERENCES sessions (id),
        unknown_transaction boolean     NOT NULL,
        charge_point_id     text        NOT NULL,
        evse_id             integer,
        connector_id        integer,
        transaction_ref     text,
        sampled_at          timestamptz NOT NULL,
        value               text        NOT NULL,
        measurand           text        NOT NULL,
        unit                text,
        phase               text,
        context             text,
        location            text,
        format              text,
        signed_meter_data   text,
        signing_method      text,
        encoding_method     text,
        public_key          text,
        ocpp_message_id     text        NOT NULL,
        message_id          text        NOT NULL,
        received_at         timestamptz NOT NULL DEFAULT now(),
        CHECK (unknown_transaction OR session_id IS NOT NULL)
    );
    CREATE INDEX meter_values_of_session ON meter_values (session_id, sampled_at);
    CREATE INDEX meter_values_unmatched
        ON meter_values (charge_point_id, transaction_ref) WHERE session_id IS NULL;
    """)
    op.execute(OUTBOX_DDL)


def downgrade() -> None:
    op.execute("""
    DROP TABLE inbox;
    DROP TABLE outbox;
    DROP TABLE meter_values;
    DROP TABLE sessions;
    DROP TABLE tokens;
    """)

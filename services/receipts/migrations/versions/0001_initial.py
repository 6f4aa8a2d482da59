"""Signed records (hash-chained, append-only), meter keys, the sessions read model, receipts, outbox/inbox.

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

APPEND_ONLY = ("signed_records", "meter_keys", "transaction_ends", "receipts")


def upgrade() -> None:
    op.execute("""
    -- Calibration-law data is kept unaltered: these tables refuse UPDATE, DELETE and TRUNCATE for
    -- every role, the service's own included. The hash chain over signed_records shows tampering
    -- by anyone able to drop the triggers.
    CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'receipts.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$;

    -- Ids are drawn while the chain lock is held, so id order is chain order.
    CREATE SEQUENCE signed_record_ids AS bigint;

    -- Every signed meter value, exactly as it arrived, with where and when it came from.
    CREATE TABLE signed_records (
        id                 bigint PRIMARY KEY,
        charge_point_id    text        NOT NULL,
        evse_id            integer,
        transaction_ref    text,
        -- The session known when the value arrived; NULL when it came before its session's start event.
        session_id         uuid,
        context            text,
        measurand          text        NOT NULL,
        sampled_at         timestamptz NOT NULL,
        signed_meter_data  text        NOT NULL,
        signing_method     text,
        encoding_method    text,
        public_key         text,
        source_type        text        NOT NULL,
        source_message_id  text        NOT NULL,
        sample_index       integer     NOT NULL,
        ocpp_message_id    text        NOT NULL,
        source_occurred_at timestamptz NOT NULL,
        received_at        timestamptz NOT NULL,
        retain_until       timestamptz NOT NULL,
        prev_hash          text        NOT NULL UNIQUE CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
        record_hash        text        NOT NULL UNIQUE CHECK (record_hash ~ '^[0-9a-f]{64}$'),
        -- A message redelivered cannot store its values twice, whatever happened to the inbox.
        UNIQUE (source_message_id, sample_index)
    );
    ALTER SEQUENCE signed_record_ids OWNED BY signed_records.id;
    CREATE INDEX signed_records_of_transaction ON signed_records (charge_point_id, transaction_ref, id);
    CREATE INDEX signed_records_of_session ON signed_records (session_id, id);

    -- Meter public keys per charge point and EVSE, with where each came from; the newest counts.
    CREATE TABLE meter_keys (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        charge_point_id  text        NOT NULL,
        evse_id          integer     NOT NULL CHECK (evse_id >= 0),
        public_key       text        NOT NULL,
        encoding         text        NOT NULL,
        source           text        NOT NULL CHECK (source IN ('operator_api', 'signed_value', 'ocpp_configuration')),
        source_reference text,
        recorded_at      timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE INDEX meter_keys_newest ON meter_keys (charge_point_id, evse_id, source, id DESC);

    -- Read model of session-manager's sessions (transaction.started, session.completed).
    CREATE SEQUENCE transaction_numbers AS bigint;
    CREATE TABLE sessions (
        session_id         uuid PRIMARY KEY,
        charge_point_id    text        NOT NULL,
        transaction_ref    text        NOT NULL,
        -- The Transparenzsoftware pairs datasets by an integer transactionId; 2.x references are text.
        transaction_number bigint      NOT NULL DEFAULT nextval('transaction_numbers'),
        evse_id            integer,
        connector_id       integer,
        token_uid          text,
        user_id            text,
        started_at         timestamptz NOT NULL,
        ended_at           timestamptz,
        energy_wh          bigint,
        stop_reason        text,
        completed          boolean     NOT NULL DEFAULT false,
        updated_at         timestamptz NOT NULL DEFAULT now(),
        CHECK (NOT completed OR ended_at IS NOT NULL)
    );
    ALTER SEQUENCE transaction_numbers OWNED BY sessions.transaction_number;
    CREATE INDEX sessions_by_ref ON sessions (charge_point_id, transaction_ref, started_at DESC);

    -- Each transaction.ended seen: a receipt waits for the end (its signed values travel in it).
    CREATE TABLE transaction_ends (
        message_id      text PRIMARY KEY,
        charge_point_id text        NOT NULL,
        transaction_ref text        NOT NULL,
        stopped_at      timestamptz NOT NULL,
        received_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX transaction_ends_by_ref ON transaction_ends (charge_point_id, transaction_ref);

    -- One row per receipt version; a newer version supersedes, nothing is changed in place.
    CREATE TABLE receipts (
        id                   uuid PRIMARY KEY,
        session_id           uuid        NOT NULL,
        version              integer     NOT NULL CHECK (version >= 1),
        status               text        NOT NULL CHECK (status IN ('verified', 'invalid', 'unsigned')),
        reason               text,
        billable             boolean     NOT NULL,
        charge_point_id      text        NOT NULL,
        evse_id              integer,
        connector_id         integer,
        transaction_ref      text        NOT NULL,
        transaction_number   bigint      NOT NULL,
        token_uid            text,
        user_id              text,
        started_at           timestamptz NOT NULL,
        ended_at             timestamptz NOT NULL,
        energy_wh            bigint,
        measured_energy      text,
        measured_energy_unit text,
        begin_reading        jsonb,
        end_reading          jsonb,
        record_ids           bigint[]    NOT NULL,
        signed_format        text,
        public_key           text,
        public_key_source    text,
        tariff_ref           text,
        notes                text[]      NOT NULL,
        issued_for           text        NOT NULL,
        created_at           timestamptz NOT NULL,
        retain_until         timestamptz NOT NULL,
        UNIQUE (session_id, version),
        CHECK (billable = (status = 'verified')),
        CHECK ((status = 'verified') = (reason IS NULL))
    );
    CREATE INDEX receipts_newest ON receipts (created_at DESC);
    CREATE INDEX receipts_of_charge_point ON receipts (charge_point_id, created_at DESC);
    """)
    for table in APPEND_ONLY:
        op.execute(f"""
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION refuse_change();
        CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
        """)
    op.execute(OUTBOX_DDL)


def downgrade() -> None:
    # Dropping these tables would destroy records the law requires to be kept.
    raise RuntimeError("receipts migration 0001 cannot be downgraded: calibration-law records are never dropped")

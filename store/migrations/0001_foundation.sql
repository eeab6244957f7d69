-- The store: personal data, requests, their append-only event chain and its projections.

CREATE TABLE subjects (
    subject_id  text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- What the organisation holds about a subject. The category lets Article 6 leave out
-- history and characteristic information; source, purpose and acquisition let Article 8
-- investigate use beyond purpose and wrongful acquisition.
CREATE TABLE personal_data (
    item_id     bigserial PRIMARY KEY,
    subject_id  text NOT NULL REFERENCES subjects (subject_id),
    category    text NOT NULL CHECK (category IN (
                    'identity', 'contact', 'financial', 'transaction', 'history', 'characteristic')),
    field       text NOT NULL,
    value       text NOT NULL,
    purpose     text,
    source      text NOT NULL DEFAULT 'registration',
    acquired_at timestamptz NOT NULL DEFAULT now(),
    suspended_at timestamptz,
    UNIQUE (subject_id, category, field)
);

CREATE TABLE requests (
    request_id      text PRIMARY KEY,
    workflow_id     text NOT NULL UNIQUE,
    kind            text NOT NULL CHECK (kind IN (
                        'disclosure', 'correction', 'suspension', 'third_party_stop', 'inquiry')),
    subject_id      text NOT NULL REFERENCES subjects (subject_id),
    fingerprint     text NOT NULL,
    status          text NOT NULL DEFAULT 'submitted',
    step            text,
    outcome         text,
    overdue         boolean NOT NULL DEFAULT false,
    deadline_policy_version text NOT NULL,
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    last_seq        integer NOT NULL DEFAULT 0,
    last_hash       text NOT NULL DEFAULT repeat('0', 64)
);
CREATE INDEX requests_status_idx ON requests (status, kind);

-- The personal part of a submission, apart from the request's non-personal facts.
CREATE TABLE request_details (
    request_id      text PRIMARY KEY REFERENCES requests (request_id),
    requester_name  text NOT NULL,
    requester_email text NOT NULL,
    details         jsonb NOT NULL
);

CREATE TABLE request_events (
    request_id      text NOT NULL REFERENCES requests (request_id),
    seq             integer NOT NULL CHECK (seq > 0),
    type            text NOT NULL,
    payload         jsonb NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    prev_hash       text NOT NULL,
    hash            text NOT NULL,
    PRIMARY KEY (request_id, seq)
);
CREATE INDEX request_events_occurred_idx ON request_events (occurred_at);

CREATE FUNCTION request_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER request_events_no_update_delete
    BEFORE UPDATE OR DELETE ON request_events
    FOR EACH ROW EXECUTE FUNCTION request_events_append_only();
CREATE TRIGGER request_events_no_truncate
    BEFORE TRUNCATE ON request_events
    FOR EACH STATEMENT EXECUTE FUNCTION request_events_append_only();

-- Projection of deadline events: one row per request and step.
CREATE TABLE deadlines (
    request_id      text NOT NULL REFERENCES requests (request_id),
    step            text NOT NULL,
    policy_version  text NOT NULL,
    started_at      timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    reminded_at     timestamptz,
    met_at          timestamptz,
    breached_at     timestamptz,
    completed_at    timestamptz,
    extensions      integer NOT NULL DEFAULT 0,
    status          text NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'met', 'breached', 'completed_late')),
    PRIMARY KEY (request_id, step)
);
CREATE INDEX deadlines_open_due_idx ON deadlines (due_at) WHERE status IN ('open', 'breached');

-- Operators' answers to inquiries: personal, referred to from Temporal by answer_id only.
CREATE TABLE answers (
    answer_id   uuid PRIMARY KEY,
    request_id  text NOT NULL REFERENCES requests (request_id),
    body        text NOT NULL,
    operator    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The notification outbox: one row per notice, whatever the retries.
CREATE TABLE notifications (
    notification_id bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    request_id      text NOT NULL REFERENCES requests (request_id),
    notice          text NOT NULL,
    recipient       text NOT NULL,
    subject_line    text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);

-- Article 5: to whom a subject's data is provided, and on what footing. Entrustment,
-- business succession and joint use are not provision to a third party.
CREATE TABLE third_party_provisions (
    provision_id    bigserial PRIMARY KEY,
    subject_id      text NOT NULL REFERENCES subjects (subject_id),
    partner_id      text NOT NULL,
    relationship    text NOT NULL CHECK (relationship IN (
                        'third_party', 'entrustment', 'business_succession', 'joint_use')),
    data_items      text[] NOT NULL DEFAULT '{}',
    legal_basis     text NOT NULL CHECK (legal_basis IN (
                        'consent', 'protection_of_life_body_property', 'public_health',
                        'cooperation_with_authorities', 'opt_out_notified', 'not_third_party')),
    consented_at    timestamptz,
    stopped_at      timestamptz,
    UNIQUE (subject_id, partner_id)
);

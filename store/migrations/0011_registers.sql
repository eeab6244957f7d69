-- The organisation's own duties as registers (issue 10): the purposes of Article 3 and
-- their changes (Article 4), consent and the footing of each provision (Article 5), and
-- the privacy policy's versions (Article 9). Each register is a hash-chained stream of
-- events like a request's, and its events join the global log the checkpoints sign.

CREATE TABLE register_streams (
    stream      text PRIMARY KEY,
    last_seq    integer NOT NULL DEFAULT 0,
    last_hash   text NOT NULL DEFAULT repeat('0', 64)
);

CREATE TABLE register_events (
    stream          text NOT NULL REFERENCES register_streams (stream),
    seq             integer NOT NULL CHECK (seq > 0),
    type            text NOT NULL,
    payload         jsonb NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    prev_hash       text NOT NULL,
    hash            text NOT NULL,
    PRIMARY KEY (stream, seq)
);
CREATE TRIGGER register_events_no_update_delete
    BEFORE UPDATE OR DELETE ON register_events
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER register_events_no_truncate
    BEFORE TRUNCATE ON register_events
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_append_only();

-- The global log takes register events too, as `register/<stream>`: a request id never
-- holds a slash (domain/requests.py, Identifier), so the two cannot meet.
ALTER TABLE event_log DROP CONSTRAINT event_log_request_id_seq_fkey;

CREATE FUNCTION event_log_extend_registers() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    event record;
    head text;
    pos bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7237954223237223);  -- the same lock as request events
    SELECT position, log_hash INTO pos, head FROM event_log ORDER BY position DESC LIMIT 1;
    pos := coalesce(pos, 0);
    head := coalesce(head, repeat('0', 64));
    FOR event IN SELECT stream, seq, hash FROM appended ORDER BY stream, seq LOOP
        pos := pos + 1;
        head := encode(sha256(convert_to(head || event.hash, 'UTF8')), 'hex');
        INSERT INTO event_log VALUES (pos, 'register/' || event.stream, event.seq, event.hash,
                                      head);
    END LOOP;
    RETURN NULL;
END;
$$;
CREATE TRIGGER register_events_extend_log
    AFTER INSERT ON register_events REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION event_log_extend_registers();

ALTER TABLE register_events ENABLE ALWAYS TRIGGER register_events_no_update_delete;
ALTER TABLE register_events ENABLE ALWAYS TRIGGER register_events_no_truncate;
ALTER TABLE register_events ENABLE ALWAYS TRIGGER register_events_extend_log;

-- Every logged event, whichever table holds it, as the log names it.
CREATE VIEW logged_events AS
SELECT request_id, seq, hash, recorded_at FROM request_events
UNION ALL
SELECT 'register/' || stream, seq, hash, recorded_at FROM register_events;

-- Article 3: the purposes, versioned. A version is in force from `effective_from` until the
-- next version's; an item's purpose names a purpose id (or `incidental:<id>`).
CREATE TABLE purposes (
    purpose_id      text NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    text            text NOT NULL,
    incidental_to   text,
    effective_from  timestamptz NOT NULL,
    superseded_at   timestamptz,
    change_id       text,
    PRIMARY KEY (purpose_id, version)
);

-- Article 4: a change of a purpose, from proposal to the last notice.
CREATE TABLE purpose_changes (
    change_id       text PRIMARY KEY,
    purpose_id      text NOT NULL,
    from_version    integer,
    proposed_text   text NOT NULL,
    related         boolean NOT NULL,
    decided_by      text NOT NULL,
    reason          text NOT NULL,
    method          text NOT NULL CHECK (method IN ('publish', 'notify', 'publish_and_notify')),
    status          text NOT NULL DEFAULT 'proposed' CHECK (status IN (
                        'proposed', 'refused', 'accepted', 'done')),
    proposed_at     timestamptz NOT NULL,
    accepted_at     timestamptz,
    published_at    timestamptz,
    publication     text,
    affected        integer,
    notified        integer NOT NULL DEFAULT 0,
    completed_at    timestamptz
);

-- The notices of a purpose change, one per affected subject whatever the retries: its
-- recipient and body are sealed under the subject's key like every notice's.
CREATE TABLE purpose_change_notices (
    change_id       text NOT NULL REFERENCES purpose_changes (change_id),
    subject_id      text NOT NULL REFERENCES subjects (subject_id),
    recipient       text NOT NULL,
    subject_line    text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    handed_to       text,
    PRIMARY KEY (change_id, subject_id)
);

-- Article 9: the privacy policy's versions. In force from `effective_at` (the posting,
-- unless told otherwise) until the next version's.
CREATE TABLE privacy_policy_versions (
    version         text PRIMARY KEY,
    text_sha256     text NOT NULL,
    posted_at       timestamptz NOT NULL,
    effective_at    timestamptz NOT NULL,
    posted_by       text NOT NULL
);
CREATE INDEX privacy_policy_versions_effective_idx ON privacy_policy_versions (effective_at);

-- Each request names the privacy policy in force at its receipt, beside the deadline
-- policy's version (NULL: received before versions were recorded).
ALTER TABLE requests ADD COLUMN privacy_policy_version text;

-- Article 5: consent given and withdrawn, per subject, partner and items (a projection of
-- the `consents` stream).
CREATE TABLE consents (
    subject_id      text NOT NULL REFERENCES subjects (subject_id),
    partner_id      text NOT NULL,
    data_items      text[] NOT NULL,
    given_at        timestamptz NOT NULL,
    withdrawn_at    timestamptz,
    PRIMARY KEY (subject_id, partner_id)
);

-- Article 5: the footing of provision to each partner. Opt-out: the five matters notified
-- or announced in advance and the notification to the Personal Information Protection
-- Commission; joint use: the items, the scope of joint users, their purpose and the person
-- responsible; entrustment and business succession as such.
CREATE TABLE provision_bases (
    partner_id              text PRIMARY KEY,
    relationship            text NOT NULL CHECK (relationship IN (
                                'third_party', 'entrustment', 'business_succession',
                                'joint_use')),
    legal_basis             text NOT NULL,
    particulars             jsonb NOT NULL DEFAULT '{}'::jsonb,
    matters_announced_at    date,
    commission_notified_at  date,
    recorded_at             timestamptz NOT NULL
);

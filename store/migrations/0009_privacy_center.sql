-- The privacy center (interfaces/privacy_center/): people prove who they are with a
-- one-time code sent to the address on record, then submit; a link lets them follow their
-- own request.

-- One per form sent. The code is kept only as a keyed hash (HMAC over the challenge id and
-- the code), the typed address only as a keyed hash (to count codes asked for it). The
-- form's data waits here, not in Temporal, until the code is entered, and is cleared once
-- the request is recorded (it then lives in request_details like any submission's). A
-- challenge for an address nobody registered has no subject and no form, and its code is
-- never sent: it behaves the same, so the pages never tell whether an address is known.
CREATE TABLE privacy_center_challenges (
    challenge_id    uuid PRIMARY KEY,
    address_hash    text NOT NULL,
    subject_id      text,
    kind            text NOT NULL CHECK (kind IN (
                        'disclosure', 'correction', 'suspension', 'third_party_stop', 'inquiry')),
    language        text NOT NULL CHECK (language IN ('ja', 'en')),
    submission      jsonb,
    code_hash       text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    timestamptz,
    verified_at     timestamptz,
    -- Set when the code is entered: the request it became. The identity check of the
    -- lifecycle (activities/lifecycle_activities.py) reads it as proof by one-time code.
    request_id      text UNIQUE
);
CREATE INDEX privacy_center_challenges_address_idx
    ON privacy_center_challenges (address_hash, created_at);

-- A link to one request's status: only the sha256 of its random token is kept.
CREATE TABLE privacy_center_status_links (
    token_hash  text PRIMARY KEY,
    request_id  text NOT NULL UNIQUE REFERENCES requests (request_id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The privacy center's own outbox, delivered by the same sender as `notifications`
-- (the maildrop on the embedded default). A code is sent before any request exists, and
-- `notifications` rows belong to a request: each is queued with a `notice.queued` event in
-- the request's chain, and notice_facts, retention and the audit read them so. Relaxing
-- its request_id would make every reader of it handle rows outside any chain; a separate
-- table keeps that record as it is. The status link rides here too, so both messages of
-- the privacy center are found, retried and delivered in one place.
CREATE TABLE privacy_center_notices (
    notice_id       bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    purpose         text NOT NULL CHECK (purpose IN ('one_time_code', 'status_link')),
    recipient       text NOT NULL,
    subject_line    text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX privacy_center_notices_pending_idx
    ON privacy_center_notices (created_at) WHERE status = 'pending';

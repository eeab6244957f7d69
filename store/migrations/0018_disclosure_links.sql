-- Article 6 (issue 24): a disclosure is delivered through the privacy center, not by
-- e-mail. The outcome e-mail links to it; only the sha256 of the link's random token is
-- kept. The link is valid until `expires_at` (DSR_DISCLOSURE_LINK_DAYS after the notice),
-- one per request (issued again, the newest replaces the old one).
CREATE TABLE privacy_center_disclosure_links (
    token_hash  text PRIMARY KEY,
    request_id  text NOT NULL UNIQUE REFERENCES requests (request_id),
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL CHECK (expires_at > issued_at)
);

-- Opening the link takes a fresh one-time code sent to the address on record: a challenge
-- of the privacy center's own kind (interfaces/privacy_center/challenges.py), with no form,
-- naming the disclosure it opens. Its `request_id` stays NULL: that column says which
-- request a form became, and store/identity_checks.py reads it as proof of identity.
ALTER TABLE privacy_center_challenges
    ADD COLUMN opens_disclosure text REFERENCES requests (request_id);
ALTER TABLE privacy_center_challenges
    ADD CONSTRAINT privacy_center_challenges_opens_no_form
    CHECK (opens_disclosure IS NULL OR (submission IS NULL AND request_id IS NULL));
CREATE INDEX privacy_center_challenges_opens_idx
    ON privacy_center_challenges (opens_disclosure) WHERE opens_disclosure IS NOT NULL;

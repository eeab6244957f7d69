-- Personal data sealed per subject (store/sealing.py, store/keyring.py): every column that
-- holds a person's data holds `dsr1.<key id>.<ciphertext>` under the subject's data key,
-- and erasure destroys the key (store/shredding.py). The keys themselves live outside the
-- database (the keyring); this table says only which key is whose and when it was
-- destroyed. Values already stored are sealed by the service at its next start
-- (store/legacy_sealing.py), since SQL holds no key.

CREATE TABLE subject_keys (
    key_id       text PRIMARY KEY,
    subject_id   text NOT NULL REFERENCES subjects (subject_id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz
);
-- One current key per subject; destroyed ones stay listed, for the auditor.
CREATE UNIQUE INDEX subject_keys_current_idx ON subject_keys (subject_id)
    WHERE destroyed_at IS NULL;

-- JSON personal data becomes one sealed value.
ALTER TABLE request_details ALTER COLUMN details TYPE text USING details::text;
ALTER TABLE disclosures ALTER COLUMN items TYPE text USING items::text;
ALTER TABLE privacy_center_challenges ALTER COLUMN submission TYPE text USING submission::text;

-- Blind indexes: a keyed hash of the e-mail given and of the e-mail on record, so the
-- identity check compares them without either being stored in plain.
ALTER TABLE request_details ADD COLUMN requester_email_index text;
ALTER TABLE personal_data ADD COLUMN value_index text;
CREATE INDEX personal_data_value_index_idx ON personal_data (field, value_index)
    WHERE value_index IS NOT NULL;

-- The privacy center's outbox names the subject whose key seals its recipient and body.
ALTER TABLE privacy_center_notices ADD COLUMN subject_id text REFERENCES subjects (subject_id);

-- A subject's requests are found for re-sealing and retention by subject.
CREATE INDEX requests_subject_idx ON requests (subject_id);

-- Retention (activities/retention.py): when a closed request's personal data was shredded.
ALTER TABLE requests ADD COLUMN personal_data_shredded_at timestamptz;
CREATE INDEX requests_retention_idx ON requests (closed_at)
    WHERE closed_at IS NOT NULL AND personal_data_shredded_at IS NULL;


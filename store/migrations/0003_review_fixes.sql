-- A subject's window that lapses is recorded in the deadlines projection; the
-- investigation's findings are kept so a retried investigation returns what is on record;
-- indexes for the operators' and auditors' reads.

ALTER TABLE deadlines DROP CONSTRAINT deadlines_status_check;
ALTER TABLE deadlines ADD CONSTRAINT deadlines_status_check
    CHECK (status IN ('open', 'met', 'breached', 'completed_late', 'lapsed'));
ALTER TABLE deadlines ADD COLUMN lapsed_at timestamptz;

CREATE TABLE investigations (
    request_id  text PRIMARY KEY REFERENCES requests (request_id),
    findings    jsonb NOT NULL,
    proposal    jsonb NOT NULL,
    recorded_at timestamptz NOT NULL
);

CREATE INDEX requests_submitted_idx ON requests (submitted_at);
CREATE INDEX requests_kind_idx ON requests (kind, submitted_at);
CREATE INDEX requests_overdue_idx ON requests (request_id) WHERE overdue;
CREATE INDEX request_events_deadline_started_idx ON request_events (occurred_at)
    WHERE type = 'deadline.started';
CREATE INDEX answers_request_idx ON answers (request_id);
CREATE INDEX operator_notes_request_idx ON operator_notes (request_id);

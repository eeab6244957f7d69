-- Tamper evidence beyond each request's chain: one log over every event of every
-- request, in the order they were appended, whose heads the service signs and keeps
-- outside the database (audit/checkpoints.py, docs/audit.md).
--
-- Each entry links the event's own hash into a running chain:
--     log_hash(n) = sha256(ascii(log_hash(n-1)) || ascii(event hash)), log_hash(0) = 64 zeros
-- (domain/event_log.py computes the same). An event's hash covers its request, seq and
-- content, so an entry pins the event; a signed (size, head) pins every entry before it.
CREATE TABLE event_log (
    position    bigint PRIMARY KEY CHECK (position > 0),
    request_id  text NOT NULL,
    seq         integer NOT NULL,
    event_hash  text NOT NULL,
    log_hash    text NOT NULL,
    UNIQUE (request_id, seq),
    FOREIGN KEY (request_id, seq) REFERENCES request_events (request_id, seq)
);

-- The events appended before this migration, in the order they were recorded.
DO $$
DECLARE
    event record;
    head text := repeat('0', 64);
    pos bigint := 0;
BEGIN
    FOR event IN
        SELECT request_id, seq, hash FROM request_events ORDER BY recorded_at, request_id, seq
    LOOP
        pos := pos + 1;
        head := encode(sha256(convert_to(head || event.hash, 'UTF8')), 'hex');
        INSERT INTO event_log VALUES (pos, event.request_id, event.seq, event.hash, head);
    END LOOP;
END;
$$;

-- Every way of appending an event extends the log, in the same transaction. The lock
-- serialises extensions across requests (held to commit: a few milliseconds per
-- append), so positions have no gaps and each head follows the one before. It runs as
-- the schema's owner: the runtime role may read the log, never write it.
CREATE FUNCTION event_log_extend() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    event record;
    head text;
    pos bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7237954223237223);  -- "dsr log", any constant will do
    SELECT position, log_hash INTO pos, head FROM event_log ORDER BY position DESC LIMIT 1;
    pos := coalesce(pos, 0);
    head := coalesce(head, repeat('0', 64));
    FOR event IN SELECT request_id, seq, hash FROM appended ORDER BY request_id, seq LOOP
        pos := pos + 1;
        head := encode(sha256(convert_to(head || event.hash, 'UTF8')), 'hex');
        INSERT INTO event_log VALUES (pos, event.request_id, event.seq, event.hash, head);
    END LOOP;
    RETURN NULL;
END;
$$;
CREATE TRIGGER request_events_extend_log
    AFTER INSERT ON request_events REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION event_log_extend();

-- The log is evidence like the events: never changed, never emptied.
CREATE FUNCTION evidence_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER event_log_no_update_delete
    BEFORE UPDATE OR DELETE ON event_log
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER event_log_no_truncate
    BEFORE TRUNCATE ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_append_only();

-- The report's projection is kept by its trigger alone, as the owner: the runtime role
-- reads it and cannot write a row the events do not say.
ALTER FUNCTION deadline_compliance_keep() SECURITY DEFINER;
ALTER FUNCTION deadline_compliance_keep() SET search_path = public, pg_temp;

-- Fire whatever the session's replication role: `SET session_replication_role = replica`
-- would otherwise switch off every guard and projection trigger at once.
ALTER TABLE request_events ENABLE ALWAYS TRIGGER request_events_no_update_delete;
ALTER TABLE request_events ENABLE ALWAYS TRIGGER request_events_no_truncate;
ALTER TABLE request_events ENABLE ALWAYS TRIGGER request_events_keep_deadline_compliance;
ALTER TABLE request_events ENABLE ALWAYS TRIGGER request_events_extend_log;
ALTER TABLE event_log ENABLE ALWAYS TRIGGER event_log_no_update_delete;
ALTER TABLE event_log ENABLE ALWAYS TRIGGER event_log_no_truncate;
ALTER TABLE request_histories ENABLE ALWAYS TRIGGER request_histories_no_update_delete;
ALTER TABLE request_histories ENABLE ALWAYS TRIGGER request_histories_no_truncate;

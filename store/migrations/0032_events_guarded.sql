-- Evidence the database guards too (issue 22; review N3(b), N3(c), N1, N5). Every way of
-- appending to a request's chain passes this trigger, whichever role appends:
--   * the event's recorded time is the database's (`recorded_at := now()`); the time the
--     workflow gives (`occurred_at`, its `workflow.now()`) is kept, but may be no later
--     than the database's clock plus `evidence_clock.max_ahead`, nor earlier than the
--     request's last event's (less `max_behind`, 0 by default);
--   * the event continues the chain: seq = the last seq + 1, prev_hash = the last hash
--     (the genesis for the first);
--   * after `request.closed` only what retention and the API record on a closed request
--     is accepted (the personal data shredded; the disclosure opened or downloaded, a fee
--     refunded, a link issued again, and their notices): no act, no deadline, no close.
-- The trigger is the owner's and fires always (even as `session_replication_role =
-- replica`); neither the worker's nor the API's role can alter or disable it.

-- The clock's tolerance, one row, written by the owner alone. A worker whose clock runs
-- ahead of the database's by more than `max_ahead` has its appends refused (retried by
-- Temporal): fix the clock, or widen it here as the owner. Test suites running workflows
-- on the time-skipping server widen both (tests/support/database.py).
CREATE TABLE evidence_clock (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    max_ahead   interval NOT NULL DEFAULT interval '5 minutes' CHECK (max_ahead >= interval '0'),
    max_behind  interval NOT NULL DEFAULT interval '0' CHECK (max_behind >= interval '0')
);
INSERT INTO evidence_clock DEFAULT VALUES;

CREATE FUNCTION request_events_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    last record;
    clock record;
BEGIN
    NEW.recorded_at := now();
    SELECT max_ahead, max_behind INTO clock FROM evidence_clock;
    IF NEW.occurred_at > clock_timestamp() + coalesce(clock.max_ahead, interval '5 minutes') THEN
        RAISE EXCEPTION 'event % of % is dated %, after the database''s clock (% + %)',
            NEW.seq, NEW.request_id, NEW.occurred_at, clock_timestamp(),
            coalesce(clock.max_ahead, interval '5 minutes')
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT seq, hash, type, occurred_at INTO last FROM request_events
     WHERE request_id = NEW.request_id ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        IF NEW.seq <> 1 OR NEW.prev_hash <> repeat('0', 64) THEN
            RAISE EXCEPTION 'event % of % does not start the chain (seq 1 after the genesis)',
                NEW.seq, NEW.request_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.seq <> last.seq + 1 OR NEW.prev_hash <> last.hash THEN
        RAISE EXCEPTION 'event % of % does not continue the chain (its last event is %)',
            NEW.seq, NEW.request_id, last.seq USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.occurred_at < last.occurred_at - coalesce(clock.max_behind, interval '0') THEN
        RAISE EXCEPTION 'event % of % is dated %, before the request''s last event (%)',
            NEW.seq, NEW.request_id, NEW.occurred_at, last.occurred_at
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.type NOT IN (
            'request.personal_data_shredded',
            'disclosure.opened', 'disclosure.downloaded', 'payment.refunded',
            'disclosure.link_reissued', 'notice.queued', 'notice.delivered',
            'notice.undeliverable')
       AND EXISTS (SELECT 1 FROM request_events
                    WHERE request_id = NEW.request_id AND type = 'request.closed') THEN
        RAISE EXCEPTION 'request % is closed: a % event may not be appended after its close',
            NEW.request_id, NEW.type USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER request_events_guard
    BEFORE INSERT ON request_events
    FOR EACH ROW EXECUTE FUNCTION request_events_guard();
ALTER TABLE request_events ENABLE ALWAYS TRIGGER request_events_guard;

-- A subject's key is marked destroyed only together with the event that records it
-- (review N3(b)). The worker's role may no longer UPDATE `subject_keys`
-- (store/privileges.py); it marks a key destroyed through `destroy_subject_key`, and the
-- deferred check below refuses the commit unless, by then, an event of the same
-- transaction (or an earlier one) records that key's destruction: `subject_key.shredded`
-- (an erasure) or `request.personal_data_shredded` (retention), naming it as
-- `destroyed_key`. A privacy-center guest that never made a request (an abandoned CONTACT
-- form, N8) has no chain to record it in: its key may go without one.
CREATE INDEX request_events_destroyed_key_idx ON request_events ((payload ->> 'destroyed_key'))
    WHERE type IN ('subject_key.shredded', 'request.personal_data_shredded');

CREATE FUNCTION destroy_subject_key(p_key_id text) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    destroyed timestamptz;
BEGIN
    UPDATE subject_keys SET destroyed_at = now()
     WHERE key_id = p_key_id AND destroyed_at IS NULL
    RETURNING destroyed_at INTO destroyed;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no current data key %', p_key_id USING ERRCODE = 'no_data_found';
    END IF;
    RETURN destroyed;
END;
$$;
REVOKE ALL ON FUNCTION destroy_subject_key(text) FROM PUBLIC;

CREATE FUNCTION subject_key_destroyed_with_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF OLD.destroyed_at IS NOT NULL AND NEW.destroyed_at IS DISTINCT FROM OLD.destroyed_at THEN
        RAISE EXCEPTION 'data key % was destroyed: it stays destroyed', NEW.key_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.destroyed_at IS NULL OR OLD.destroyed_at IS NOT NULL THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM request_events
                WHERE type IN ('subject_key.shredded', 'request.personal_data_shredded')
                  AND payload ->> 'destroyed_key' = NEW.key_id) THEN
        RETURN NULL;
    END IF;
    IF NEW.subject_id LIKE 'guest-%'
       AND NOT EXISTS (SELECT 1 FROM requests WHERE subject_id = NEW.subject_id) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'data key % of subject % is marked destroyed with no event recording it',
        NEW.key_id, NEW.subject_id USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE CONSTRAINT TRIGGER subject_keys_destroyed_with_event
    AFTER UPDATE ON subject_keys DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION subject_key_destroyed_with_event();
ALTER TABLE subject_keys ENABLE ALWAYS TRIGGER subject_keys_destroyed_with_event;

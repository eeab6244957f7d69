-- The archive of closed requests' workflow histories (the JSON `temporal workflow show
-- -o json` gives), so an auditor can replay a request after Temporal's retention has
-- dropped it. Written once per request by the ArchiveClosedRequests schedule; a history
-- carries no personal data (only ids), so keeping it here reaches no one's data.
CREATE TABLE request_histories (
    request_id  text PRIMARY KEY REFERENCES requests (request_id),
    workflow_id text NOT NULL,
    run_id      text NOT NULL,
    history     jsonb NOT NULL,
    archived_at timestamptz NOT NULL DEFAULT now()
);

-- Evidence, like request_events: written once, never changed.
CREATE FUNCTION request_histories_write_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request_histories is write-once: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER request_histories_no_update_delete
    BEFORE UPDATE OR DELETE ON request_histories
    FOR EACH ROW EXECUTE FUNCTION request_histories_write_once();
CREATE TRIGGER request_histories_no_truncate
    BEFORE TRUNCATE ON request_histories
    FOR EACH STATEMENT EXECUTE FUNCTION request_histories_write_once();

-- Closed requests whose history Temporal no longer had when the archive looked for it
-- (closed before archiving existed, or deleted by hand): on record, and not looked for on
-- every run again.
CREATE TABLE request_history_gaps (
    request_id  text PRIMARY KEY REFERENCES requests (request_id),
    workflow_id text NOT NULL,
    noted_at    timestamptz NOT NULL DEFAULT now()
);

-- The archive's question, "closed and in neither table", oldest closure first.
CREATE INDEX requests_closed_idx ON requests (closed_at, request_id) WHERE status = 'closed';

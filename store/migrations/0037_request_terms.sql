-- A request's terms, as intake recorded them, are what its workflow's input is checked
-- against before any effect (issue 22, review N5 and N9; activities/start_checks.py).
--
-- The deadline policy's version is bound to a digest of its contents
-- (DeadlinePolicy.digest(): SHA-256 of its canonical JSON), so a start that keeps the label
-- and shortens a window is told apart. Requests taken in before this migration have none
-- (NULL): theirs are checked by version alone.
ALTER TABLE requests ADD COLUMN deadline_policy_digest text
    CHECK (deadline_policy_digest ~ '^[0-9a-f]{64}$');

-- The terms never change once recorded: not by the worker's role, which keeps the row's
-- projection (status, step, outcome) and may UPDATE it, nor by the API's.
CREATE FUNCTION request_terms_unchanged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.request_id IS DISTINCT FROM OLD.request_id
       OR NEW.workflow_id IS DISTINCT FROM OLD.workflow_id
       OR NEW.kind IS DISTINCT FROM OLD.kind
       OR NEW.subject_id IS DISTINCT FROM OLD.subject_id
       OR NEW.deadline_policy_version IS DISTINCT FROM OLD.deadline_policy_version
       OR NEW.deadline_policy_digest IS DISTINCT FROM OLD.deadline_policy_digest
       OR NEW.privacy_policy_version IS DISTINCT FROM OLD.privacy_policy_version THEN
        RAISE EXCEPTION 'a request''s terms (id, workflow, kind, subject, policies) never change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER request_terms_unchanged
    BEFORE UPDATE OF request_id, workflow_id, kind, subject_id, deadline_policy_version,
        deadline_policy_digest, privacy_policy_version ON requests
    FOR EACH ROW EXECUTE FUNCTION request_terms_unchanged();

-- Calls refused for want of a token (401) are counted, not written one row each (review
-- N8: a flood of unauthenticated calls grew the append-only access_refusals by a row a
-- call, which no role may clean). Each minute has one row per reason, method and route
-- (the route as the API declares it, e.g. /api/v1/requests/{request_id}, never the path
-- the caller typed), with how many calls it refused. A refusal of a signed-in account's
-- call (403) still names the account and stays a row of its own in access_refusals.
CREATE TABLE access_refusal_counts (
    window_start timestamptz NOT NULL,
    status       integer NOT NULL CHECK (status = 401),
    reason       text NOT NULL,
    method       text NOT NULL,
    route        text NOT NULL,
    refusals     bigint NOT NULL CHECK (refusals > 0),
    first_at     timestamptz NOT NULL DEFAULT now(),
    last_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (window_start, status, reason, method, route)
);

-- A count only grows: a row is never removed, nor its window, route or first refusal changed.
CREATE FUNCTION access_refusal_counts_only_grow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'access_refusal_counts is append-only: a count is never removed';
    END IF;
    IF (NEW.window_start, NEW.status, NEW.reason, NEW.method, NEW.route, NEW.first_at)
           IS DISTINCT FROM
       (OLD.window_start, OLD.status, OLD.reason, OLD.method, OLD.route, OLD.first_at)
       OR NEW.refusals < OLD.refusals OR NEW.last_at < OLD.last_at THEN
        RAISE EXCEPTION 'access_refusal_counts only grow: a count is added to, never changed';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER access_refusal_counts_only_grow
    BEFORE UPDATE OR DELETE ON access_refusal_counts
    FOR EACH ROW EXECUTE FUNCTION access_refusal_counts_only_grow();
ALTER TABLE access_refusal_counts ENABLE ALWAYS TRIGGER access_refusal_counts_only_grow;

-- The API's one door into a request's events (issue 21, review N3(c)). The API's role may
-- not INSERT into `request_events` (store/privileges.py): a request's acts are appended by
-- its workflow, on the worker. What the API itself records is narrow: a person opening or
-- downloading their disclosure (actor 'subject'), and the acts on a closed request that no
-- workflow takes any more (a late fee's refund, a disclosure link issued again) with their
-- notices. This function appends exactly those, and only as the next link of the chain: the
-- sequence number must follow the request's last, the previous hash must be its last hash
-- (the caller computes the new hash, as store/events.py does; `dsr audit verify` recomputes
-- it). Any other type, a gap, or a stale head is refused and nothing is written.
--
-- SECURITY DEFINER, owned by the schema's owner, search path pinned; EXECUTE is taken from
-- PUBLIC here and given to the API's role by store/privileges.py.

CREATE FUNCTION append_api_event(
    p_request_id text, p_seq integer, p_type text, p_payload jsonb, p_occurred_at timestamptz,
    p_actor text, p_idempotency_key text, p_prev_hash text, p_hash text
) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    head record;
BEGIN
    IF p_type IS NULL OR p_type NOT IN (
        'disclosure.opened', 'disclosure.downloaded', 'payment.refunded',
        'disclosure.link_reissued', 'notice.queued', 'notice.delivered',
        'notice.undeliverable') THEN
        RAISE EXCEPTION 'the API may not append % events: the workflow appends them', p_type
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_type IN ('disclosure.opened', 'disclosure.downloaded') AND p_actor <> 'subject' THEN
        RAISE EXCEPTION '% is recorded as the subject''s, not %''s', p_type, p_actor
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT last_seq, last_hash INTO head FROM requests
     WHERE request_id = p_request_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no request %', p_request_id USING ERRCODE = 'no_data_found';
    END IF;
    IF p_seq IS DISTINCT FROM head.last_seq + 1 OR p_prev_hash IS DISTINCT FROM head.last_hash THEN
        RAISE EXCEPTION 'event % of % does not follow the chain''s head (%)',
            p_seq, p_request_id, head.last_seq
            USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO request_events
        (request_id, seq, type, payload, occurred_at, actor, idempotency_key, prev_hash, hash)
    VALUES (p_request_id, p_seq, p_type, p_payload, p_occurred_at, p_actor, p_idempotency_key,
            p_prev_hash, p_hash);
    UPDATE requests SET last_seq = p_seq, last_hash = p_hash, updated_at = p_occurred_at
     WHERE request_id = p_request_id;
END
$$;

REVOKE ALL ON FUNCTION append_api_event(
    text, integer, text, jsonb, timestamptz, text, text, text, text) FROM PUBLIC;

-- Deadline compliance kept with the events: what `dsr audit report` reads, one row per
-- request and step, so a month's report is a range of this table, not a fold of every
-- deadline event of every request in it.
--
-- The hash-chained events stay the record; this is a projection of them, and holds what
-- the record says before any judgement: the verdicts depend on when a report is made,
-- so `domain.compliance` judges these rows (as it judges the same rows folded from the
-- events, which is how `dsr audit` can check the two agree). A trigger on request_events
-- keeps it, so every way of appending (the event store, a bulk load) keeps it in step,
-- in the same transaction as the events.
--
-- The fold is `domain.compliance.step_records`, in SQL:
-- - a step's window opens at its first deadline.started; a later start is ignored;
-- - it closes at the first met, completed_late or lapsed after the start;
-- - breaches and extensions count only while the window is open; the first breach stays;
-- - pauses and resumes count whether the window is open or not: a pause while paused, or a
--   resume while running, changes nothing; a pause not yet resumed is `paused_since`;
-- - deadline events that name no step (a string `step`) add nothing.
-- Values of the payload are kept as recorded (`->>`), for the domain to read as it reads
-- the events.
CREATE TABLE deadline_compliance (
    request_id      text NOT NULL REFERENCES requests (request_id),
    step            text NOT NULL,
    started_at      timestamptz,  -- the first deadline.started; none: only pauses so far
    party           text,         -- the start's payload party, as recorded
    due_at          text,         -- the start's payload due_at, as recorded
    extensions      jsonb,        -- granted while open, in record order; none: NULL
    breached_at     timestamptz,
    closed_as       text CHECK (closed_as IN ('met', 'completed_late', 'lapsed')),
    finished_at     timestamptz,
    pauses_resumed  interval,     -- the pauses ended by a resume, summed; none: NULL
    paused_since    timestamptz,
    PRIMARY KEY (request_id, step)
);
CREATE INDEX deadline_compliance_started_idx ON deadline_compliance (started_at);

-- The rows of the given requests, folded from all of their deadline events: each step's
-- marks in record order, as `domain.compliance.step_records` folds them. A step is a row
-- once one of its marks changed something.
CREATE FUNCTION deadline_compliance_of(request_ids text[]) RETURNS SETOF deadline_compliance
LANGUAGE plpgsql STABLE AS $$
DECLARE
    mark record;
    kept deadline_compliance;
    changed boolean := false;
BEGIN
    FOR mark IN
        SELECT e.request_id, e.payload ->> 'step' AS step, e.type, e.payload, e.occurred_at,
               e.actor
          FROM request_events e
         WHERE e.request_id = ANY (request_ids) AND e.type LIKE 'deadline.%'
           AND jsonb_typeof(e.payload -> 'step') = 'string'
         ORDER BY e.request_id, e.payload ->> 'step', e.seq
    LOOP
        IF kept.request_id IS DISTINCT FROM mark.request_id OR kept.step <> mark.step THEN
            IF changed THEN
                RETURN NEXT kept;
            END IF;
            kept := NULL;
            kept.request_id := mark.request_id;
            kept.step := mark.step;
            changed := false;
        END IF;
        IF mark.type = 'deadline.paused' THEN
            -- A pause while paused changes nothing: the time counts from the first.
            IF kept.paused_since IS NULL THEN
                kept.paused_since := mark.occurred_at;
                changed := true;
            END IF;
        ELSIF mark.type = 'deadline.resumed' THEN
            IF kept.paused_since IS NOT NULL THEN
                kept.pauses_resumed := coalesce(kept.pauses_resumed, interval '0')
                    + greatest(mark.occurred_at - kept.paused_since, interval '0');
                kept.paused_since := NULL;
                changed := true;
            END IF;
        ELSIF mark.type = 'deadline.started' THEN
            IF kept.started_at IS NULL THEN
                kept.started_at := mark.occurred_at;
                kept.party := mark.payload ->> 'party';
                kept.due_at := mark.payload ->> 'due_at';
                changed := true;
            END IF;
        ELSIF kept.started_at IS NULL OR kept.closed_as IS NOT NULL THEN
            NULL;  -- not open: nothing of the window changes
        ELSIF mark.type = 'deadline.breached' THEN
            kept.breached_at := coalesce(kept.breached_at, mark.occurred_at);
        ELSIF mark.type = 'deadline.extended' THEN
            kept.extensions := coalesce(kept.extensions, '[]'::jsonb)
                || jsonb_build_array(jsonb_build_object(
                       'at', mark.occurred_at, 'due_at', mark.payload -> 'due_at',
                       'previous_due_at', mark.payload -> 'previous_due_at',
                       'reason_note_id', mark.payload -> 'reason_note_id', 'by', mark.actor));
        ELSIF mark.type IN ('deadline.met', 'deadline.completed_late', 'deadline.lapsed') THEN
            kept.closed_as := substr(mark.type, length('deadline.') + 1);
            kept.finished_at := mark.occurred_at;
        END IF;
    END LOOP;
    IF changed THEN
        RETURN NEXT kept;
    END IF;
END;
$$;

-- Kept per statement, from the appended rows' requests, so a bulk load folds each request
-- once and a row appended out of order by one is folded in its place by seq.
CREATE FUNCTION deadline_compliance_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched text[];
BEGIN
    SELECT array_agg(DISTINCT request_id) INTO touched
      FROM appended WHERE type LIKE 'deadline.%';
    IF touched IS NOT NULL THEN
        INSERT INTO deadline_compliance AS kept
        SELECT * FROM deadline_compliance_of(touched)
        ON CONFLICT (request_id, step) DO UPDATE SET
            started_at = excluded.started_at, party = excluded.party,
            due_at = excluded.due_at, extensions = excluded.extensions,
            breached_at = excluded.breached_at, closed_as = excluded.closed_as,
            finished_at = excluded.finished_at, pauses_resumed = excluded.pauses_resumed,
            paused_since = excluded.paused_since
        WHERE (kept.*) IS DISTINCT FROM (excluded.*);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER request_events_keep_deadline_compliance
    AFTER INSERT ON request_events REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION deadline_compliance_keep();

-- The events already on record.
INSERT INTO deadline_compliance
SELECT * FROM deadline_compliance_of(ARRAY(
    SELECT DISTINCT request_id FROM request_events WHERE type LIKE 'deadline.%'));

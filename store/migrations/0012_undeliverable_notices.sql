-- A notice whose recipient was erased after it was queued is never sent; it is marked so,
-- rather than left pending for ever (and counted as waiting by the metrics).
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'delivered', 'undeliverable'));

-- A signer that only signs growth (issue 22, review N6). The checkpoint signer
-- (audit/checkpoints.py) signs the log's head only when the log extends the head it signed
-- last: no fewer entries, and the same head at the old size. When it does not, the signer
-- records an alarm here (sizes and heads only, nothing personal) and signs nothing more
-- until an operator acknowledges the alarm (`dsr-admin audit acknowledge-alarm`, as the
-- schema's owner). The worker's role may record an alarm and read them, never acknowledge
-- one nor change or remove it (store/privileges.py).
CREATE TABLE log_alarms (
    alarm_id            bigserial PRIMARY KEY,
    raised_at           timestamptz NOT NULL DEFAULT now(),
    key_id              text NOT NULL,
    -- The last checkpoint signed: the log it pinned.
    signed_size         bigint NOT NULL CHECK (signed_size >= 0),
    signed_head         text NOT NULL,
    -- The log as the signer found it: its size and head, and its head at the signed size
    -- (NULL: the log is shorter than that).
    log_size            bigint NOT NULL CHECK (log_size >= 0),
    log_head            text NOT NULL,
    head_at_signed_size text
);

-- An operator's acknowledgement: the log as the alarm found it is the new base the signer
-- extends (the evidence lost stays lost: the older checkpoints still disagree with it).
CREATE TABLE log_alarm_acknowledgements (
    alarm_id        bigint PRIMARY KEY REFERENCES log_alarms (alarm_id),
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    acknowledged_by text NOT NULL CHECK (acknowledged_by <> ''),
    reason          text NOT NULL CHECK (reason <> '')
);

CREATE TRIGGER log_alarms_no_update_delete
    BEFORE UPDATE OR DELETE ON log_alarms
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER log_alarms_no_truncate
    BEFORE TRUNCATE ON log_alarms
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER log_alarm_acknowledgements_no_update_delete
    BEFORE UPDATE OR DELETE ON log_alarm_acknowledgements
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
CREATE TRIGGER log_alarm_acknowledgements_no_truncate
    BEFORE TRUNCATE ON log_alarm_acknowledgements
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_append_only();
ALTER TABLE log_alarms ENABLE ALWAYS TRIGGER log_alarms_no_update_delete;
ALTER TABLE log_alarms ENABLE ALWAYS TRIGGER log_alarms_no_truncate;
ALTER TABLE log_alarm_acknowledgements ENABLE ALWAYS TRIGGER log_alarm_acknowledgements_no_update_delete;
ALTER TABLE log_alarm_acknowledgements ENABLE ALWAYS TRIGGER log_alarm_acknowledgements_no_truncate;

-- Accounts of the people and services that use the service, with their roles, and the
-- record of every call refused for want of a token or a role.

-- A bearer token is shown once, when the account is made; only its sha256 is kept.
CREATE TABLE accounts (
    account     text PRIMARY KEY CHECK (account ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
    roles       text[] NOT NULL CHECK (
                    cardinality(roles) > 0 AND roles <@ ARRAY[
                        'intake', 'operator', 'approver', 'cashier', 'auditor', 'admin']),
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    disabled_at timestamptz
);

-- Calls refused with 401 (no, unknown or disabled token) or 403 (a role the account lacks).
CREATE TABLE access_refusals (
    refusal_id  bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    status      integer NOT NULL CHECK (status IN (401, 403)),
    account     text,  -- NULL: no account could be named
    method      text NOT NULL,
    path        text NOT NULL,
    reason      text NOT NULL
);
CREATE INDEX access_refusals_at_idx ON access_refusals (at);

CREATE TRIGGER access_refusals_no_update_delete
    BEFORE UPDATE OR DELETE ON access_refusals
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
ALTER TABLE access_refusals ENABLE ALWAYS TRIGGER access_refusals_no_update_delete;

-- Accounts are made, disabled and given roles only through these functions (issue 21, review
-- N3(a)): neither the API's role nor the worker's may write `accounts` (store/privileges.py),
-- so a leaked runtime URL mints nothing. Each function checks, itself, that the token it is
-- given belongs to an enabled administrator, and records that administrator as the one who
-- acted: a caller cannot name someone else. The token is the plaintext bearer token, hashed
-- here: the hashes the API may read (to sign callers in) do not open these doors.
--
-- SECURITY DEFINER: they run as their owner (the schema's owner role, store/hand_over.sql);
-- the search path is pinned so that no object of the caller's shadows a table or function.
-- EXECUTE is taken from PUBLIC here and given to the API's role by store/privileges.py.

-- Every change made through them, appended and never changed: who made, disabled or gave
-- roles to which account, when, and the roles it held afterwards.
CREATE TABLE account_changes (
    change_id  bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    account    text NOT NULL,
    change     text NOT NULL CHECK (change IN ('made', 'disabled', 'roles')),
    roles      text[] NOT NULL,
    changed_by text NOT NULL
);
CREATE INDEX account_changes_account_idx ON account_changes (account, at);

CREATE TRIGGER account_changes_no_update_delete
    BEFORE UPDATE OR DELETE ON account_changes
    FOR EACH ROW EXECUTE FUNCTION evidence_append_only();
ALTER TABLE account_changes ENABLE ALWAYS TRIGGER account_changes_no_update_delete;

CREATE FUNCTION account_administrator(admin_token text) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    administrator text;
BEGIN
    SELECT account INTO administrator FROM accounts
     WHERE token_hash = encode(sha256(convert_to(coalesce(admin_token, ''), 'UTF8')), 'hex')
       AND disabled_at IS NULL AND 'admin' = ANY (roles);
    IF administrator IS NULL THEN
        RAISE EXCEPTION 'not the token of an enabled administrator'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN administrator;
END
$$;

-- Makes `new_account` with `new_roles` and the sha256 (hex) of its token, which the caller
-- made and shows once; returns the administrator recorded as `created_by`.
CREATE FUNCTION make_account(
    admin_token text, new_account text, new_roles text[], new_token_hash text
) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    administrator text := account_administrator(admin_token);
BEGIN
    IF new_token_hash IS NULL OR new_token_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'the new token''s hash must be 64 hexadecimal digits'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO accounts (account, roles, token_hash, created_by)
    VALUES (new_account,
            ARRAY(SELECT DISTINCT r FROM unnest(new_roles) AS r ORDER BY r),
            new_token_hash, administrator);
    INSERT INTO account_changes (account, change, roles, changed_by)
    SELECT account, 'made', roles, administrator FROM accounts WHERE account = new_account;
    RETURN administrator;
END
$$;

-- Disables `target` (its token no longer signs in); true when it was enabled until now,
-- false when it was disabled already. An account that does not exist raises no_data_found.
CREATE FUNCTION disable_account(admin_token text, target text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    administrator text := account_administrator(admin_token);
BEGIN
    PERFORM 1 FROM accounts WHERE account = target;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account %', target USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE accounts SET disabled_at = now() WHERE account = target AND disabled_at IS NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO account_changes (account, change, roles, changed_by)
    SELECT account, 'disabled', roles, administrator FROM accounts WHERE account = target;
    RETURN true;
END
$$;

-- Gives `target` exactly `new_roles`; true when they changed.
CREATE FUNCTION set_account_roles(admin_token text, target text, new_roles text[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    administrator text := account_administrator(admin_token);
    wanted text[] := ARRAY(SELECT DISTINCT r FROM unnest(new_roles) AS r ORDER BY r);
BEGIN
    PERFORM 1 FROM accounts WHERE account = target;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account %', target USING ERRCODE = 'no_data_found';
    END IF;
    UPDATE accounts SET roles = wanted WHERE account = target AND roles IS DISTINCT FROM wanted;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO account_changes (account, change, roles, changed_by)
    VALUES (target, 'roles', wanted, administrator);
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION account_administrator(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION make_account(text, text, text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION disable_account(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION set_account_roles(text, text, text[]) FROM PUBLIC;

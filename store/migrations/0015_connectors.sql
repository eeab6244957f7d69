-- Connectors (connectors/, issue 23): what the organisation's own systems hold on a
-- subject is collected into personal_data beside the inventory's items, each row knowing
-- where it lives. A system's rows for a subject are a snapshot, replaced at each collection.
--   system      the data map's system (NULL: the inventory's own items)
--   collection  its collection (table) there
--   locator     the row's key there, sealed under the subject's key
--   system_field  the map's name of the field (personal_data.field is the name a
--               correction uses, the map's `as`)
ALTER TABLE personal_data ADD COLUMN system text;
ALTER TABLE personal_data ADD COLUMN collection text;
ALTER TABLE personal_data ADD COLUMN locator text;
ALTER TABLE personal_data ADD COLUMN system_field text;
ALTER TABLE personal_data ADD CONSTRAINT personal_data_system_row CHECK (
    (system IS NULL) = (collection IS NULL)
    AND (system IS NULL) = (locator IS NULL)
    AND (system IS NULL) = (system_field IS NULL));
-- One item per field for the inventory's; a system may hold a field in many rows.
ALTER TABLE personal_data DROP CONSTRAINT personal_data_subject_id_category_field_key;
CREATE UNIQUE INDEX personal_data_inventory_item_idx ON personal_data (subject_id, category, field)
    WHERE system IS NULL;
CREATE INDEX personal_data_system_idx ON personal_data (subject_id, system)
    WHERE system IS NOT NULL;

-- The identities each system was searched with for a request, sealed under the subject's
-- key, kept until that system's part of the act is confirmed (a retry after a partial
-- failure finds what is left with the same identities), then forgotten.
CREATE TABLE system_searches (
    search_id    bigserial UNIQUE,
    request_id   text NOT NULL REFERENCES requests (request_id),
    system       text NOT NULL,
    identities   text,
    searched_at  timestamptz NOT NULL,
    confirmed_at timestamptz,
    PRIMARY KEY (request_id, system)
);

-- The owner of a manual system of the data map confirms, by a signed act, what was found
-- there or done there (domain/authority.py, Role.SYSTEM_OWNER).
ALTER TABLE accounts DROP CONSTRAINT accounts_roles_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_roles_check CHECK (
    cardinality(roles) > 0 AND roles <@ ARRAY[
        'intake', 'operator', 'approver', 'cashier', 'auditor', 'system_owner', 'admin']);

-- A manual system's owner may keep a note of what was found or done there.
ALTER TABLE operator_notes DROP CONSTRAINT operator_notes_purpose_check;
ALTER TABLE operator_notes ADD CONSTRAINT operator_notes_purpose_check
    CHECK (purpose IN ('reason', 'measure', 'inclusion', 'system'));

-- Article 8 judges "beyond the scope of the purpose of use" against Article 3's purposes
-- register as it stood when the item was used (issue 10). `used_at`: since when the item
-- has been used for its recorded purpose; NULL means since it was acquired (`acquired_at`).
-- An inventory load sets it when it gives an item a new purpose, or when the file says.
ALTER TABLE personal_data ADD COLUMN used_at timestamptz;

-- Article 5's registers count the versions of each projection row, so the event recording
-- a version can be keyed by it: a footing or consent changed and then changed back is a new
-- event, not a retry of the first.
ALTER TABLE provision_bases ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE consents ADD COLUMN version integer NOT NULL DEFAULT 1;

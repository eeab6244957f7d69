-- Article 4's fan-out finds the subjects holding an item under a purpose, in subject order
-- (store/purpose_notices.py affected_after): an index keeps each batch's read short when
-- subjects hold many items.
CREATE INDEX personal_data_purpose_subject_idx ON personal_data (purpose, subject_id);

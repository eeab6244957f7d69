-- Article 5 ¶1 and ¶2 (issue 24, N1, N5, N10): what provision to partners reads carries
-- only what has a valid basis on record, by the rule of domain/provision_rule.py
-- (`may_provide`, the other reading of `provision_findings`). The view that says so is
-- migration 0023's (`provision_feed_by_basis` since 0024), written once, when the rule was
-- whole: 0016 to 0024 came in one release, so no database ever held this step's own
-- version of it.

-- What the feed and the checks look up per subject and field (the view joins and the
-- opt-out's lawfulness by them; no index served a plain subject before).
CREATE INDEX personal_data_subject_field_idx ON personal_data (subject_id, field);

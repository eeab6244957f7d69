-- Issue 24, old item 7 (Art 8 ¶4): "when it is possible to take necessary alternative
-- measures to protect the rights and interests of users, this alternative measure shall
-- be taken". The measure the service applies itself, stopping provision of the items to
-- third parties, marks them: `provision_feed` no longer carries an item so marked
-- (migration 0024; domain/alternative_measures.py).
ALTER TABLE personal_data ADD COLUMN provision_stopped_at timestamptz;

-- Issue 24, N17 (Art 6 ¶1, "we may not disclose all or part of it"): what a disclosure
-- withheld, part by part, each with its ground: a category, or a single item (its
-- category and field, never its value), with how many items it held back.
ALTER TABLE disclosures ADD COLUMN withheld_parts jsonb NOT NULL DEFAULT '[]'::jsonb;

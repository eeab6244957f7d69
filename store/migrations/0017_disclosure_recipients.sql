-- Article 6 ¶2 withholds "information other than personal information": what the
-- organisation holds in a form that does not identify the person (analytics keyed by a
-- cookie, say). An item held under the person's identity is personal information (Article
-- 1) and is disclosed unless an Article 6 ¶1 ground applies. `identifying` = false marks an
-- item held in a form that does not identify the person; every existing item identifies.
ALTER TABLE personal_data ADD COLUMN identifying boolean NOT NULL DEFAULT true;

-- Article 5 / Article 6: a disclosure names the recipients of each item by their name, not
-- only by our internal id, so that a person can ask for provision to them to stop. The name
-- a partner is known by, as an inventory file's `provision_bases` gives it.
CREATE TABLE partner_names (
    partner_id  text PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Policy fidelity (Articles 3, 5, 6, 7, 8): what the store must know to say only what is
-- true.

-- Subjects carry a name for notices and the inventory; the registered e-mail stays an item
-- of personal data (category contact, field email).
ALTER TABLE subjects ADD COLUMN name text;

-- Article 5's exceptions are named as the policy names them; the legal basis is what a
-- refusal to stop provision must cite.
ALTER TABLE third_party_provisions DROP CONSTRAINT third_party_provisions_legal_basis_check;
UPDATE third_party_provisions SET legal_basis = 'public_health_or_children'
 WHERE legal_basis = 'public_health';
ALTER TABLE third_party_provisions ADD CONSTRAINT third_party_provisions_legal_basis_check
    CHECK (legal_basis IN (
        'consent', 'opt_out_notified', 'protection_of_life_body_property',
        'public_health_or_children', 'cooperation_with_authorities', 'not_third_party'));

-- Article 8: a suspended item is used for nothing the service controls, provision to third
-- parties included. This view is what a provision may send: never a suspended item, never
-- to a partner whose provision was stopped.
CREATE VIEW provision_feed AS
SELECT p.provision_id, p.subject_id, p.partner_id, p.relationship, p.legal_basis,
       d.item_id, d.category, d.field, d.value
  FROM third_party_provisions p
  JOIN personal_data d ON d.subject_id = p.subject_id AND d.field = ANY (p.data_items)
 WHERE p.stopped_at IS NULL AND d.suspended_at IS NULL;

-- Article 6 ¶2 and ¶1: what a disclosure left out, by category and count, and why.
ALTER TABLE disclosures ADD COLUMN excluded jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE disclosures ADD COLUMN withheld jsonb NOT NULL DEFAULT '{}'::jsonb;

-- The person's language for notices (ja or en).
ALTER TABLE request_details ADD COLUMN language text NOT NULL DEFAULT 'en'
    CHECK (language IN ('ja', 'en'));

-- Operators' texts gain two purposes: why history or characteristic information is
-- disclosed after all (Art 6 ¶2, "in principle"), and why a deadline was extended (told to
-- the person).
ALTER TABLE operator_notes DROP CONSTRAINT operator_notes_purpose_check;
ALTER TABLE operator_notes ADD CONSTRAINT operator_notes_purpose_check
    CHECK (purpose IN ('reason', 'measure', 'inclusion'));

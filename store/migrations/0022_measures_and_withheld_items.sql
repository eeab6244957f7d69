-- Issue 24, old item 7 (Art 8 ¶4): "when it is possible to take necessary alternative
-- measures to protect the rights and interests of users, this alternative measure shall
-- be taken". The measure the service applies itself, stopping provision of the items to
-- third parties, marks them: `provision_feed` no longer carries an item so marked. The
-- view is 0016's with that one condition added (domain/alternative_measures.py).
ALTER TABLE personal_data ADD COLUMN provision_stopped_at timestamptz;

-- Issue 24, N17 (Art 6 ¶1, "we may not disclose all or part of it"): what a disclosure
-- withheld, part by part, each with its ground: a category, or a single item (its
-- category and field, never its value), with how many items it held back.
ALTER TABLE disclosures ADD COLUMN withheld_parts jsonb NOT NULL DEFAULT '[]'::jsonb;

DROP VIEW provision_feed;
CREATE VIEW provision_feed AS
WITH running AS NOT MATERIALIZED (
    SELECT p.provision_id, p.subject_id, p.partner_id, p.relationship, p.legal_basis,
           p.data_items
      FROM third_party_provisions p
     WHERE p.stopped_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM provision_bases b
                        WHERE b.partner_id = p.partner_id
                          AND (b.relationship <> p.relationship
                               OR b.legal_basis <> p.legal_basis))
),
founded AS (
    -- The exceptions of Art 5 ¶1, and business succession: the footing itself.
    SELECT r.*, r.data_items AS covered
      FROM running r
     WHERE (r.relationship = 'third_party'
            AND r.legal_basis IN ('protection_of_life_body_property',
                                  'public_health_or_children',
                                  'cooperation_with_authorities'))
        OR r.relationship = 'business_succession'
    UNION ALL
    -- Consent: standing (a withdrawal on record ends it), and only the items it covers.
    SELECT r.*, c.data_items
      FROM running r
      JOIN consents c ON c.subject_id = r.subject_id AND c.partner_id = r.partner_id
     WHERE r.relationship = 'third_party' AND r.legal_basis = 'consent'
       AND c.withdrawn_at IS NULL
    UNION ALL
    -- Opt-out: the five matters with their date, the Commission notified, a purpose of use
    -- in force that includes the provision (not one of Article 3's seven at version 1);
    -- only lawfully obtained items.
    SELECT r.*,
           ARRAY(SELECT item FROM unnest(r.data_items) AS item
                  WHERE NOT EXISTS (SELECT 1 FROM personal_data u
                                     WHERE u.subject_id = r.subject_id AND u.field = item
                                       AND NOT u.lawfully_obtained))
      FROM running r
      JOIN provision_bases b ON b.partner_id = r.partner_id
     WHERE r.relationship = 'third_party' AND r.legal_basis = 'opt_out_notified'
       AND b.commission_notified_at IS NOT NULL
       AND b.matters_announced_at IS NOT NULL
       AND coalesce(b.particulars -> 'matters_announced', '[]'::jsonb) @> jsonb_build_array(
               'provision_in_purpose', 'items_provided', 'means_of_provision',
               'stops_on_request', 'how_to_request')
       AND EXISTS (
               SELECT 1 FROM purposes pu
                WHERE pu.purpose_id = b.particulars ->> 'provision_purpose'
                  AND pu.effective_from <= now()
                  AND (pu.superseded_at IS NULL OR now() < pu.superseded_at)
                  AND NOT (pu.version = 1 AND pu.purpose_id IN (
                      'provide_service', 'respond_to_inquiries', 'service_emails',
                      'important_notices', 'prevent_abuse', 'account_self_service',
                      'billing')))
    UNION ALL
    -- Joint use with its four particulars; entrustment with its handling and purpose.
    SELECT r.*, r.data_items
      FROM running r
      JOIN provision_bases b ON b.partner_id = r.partner_id
     WHERE (r.relationship = 'joint_use'
            AND coalesce(b.particulars -> 'joint_use' ->> 'items', '') <> ''
            AND coalesce(b.particulars -> 'joint_use' ->> 'scope_of_joint_users', '') <> ''
            AND coalesce(b.particulars -> 'joint_use' ->> 'purpose', '') <> ''
            AND coalesce(b.particulars -> 'joint_use' ->> 'person_responsible', '') <> '')
        OR (r.relationship = 'entrustment'
            AND coalesce(b.particulars -> 'entrustment' ->> 'handling', '') <> ''
            AND coalesce(b.particulars -> 'entrustment' ->> 'purpose', '') <> '')
)
SELECT f.provision_id, f.subject_id, f.partner_id, f.relationship, f.legal_basis,
       d.item_id, d.category, d.field, d.value
  FROM founded f
  JOIN personal_data d ON d.subject_id = f.subject_id AND d.field = ANY (f.data_items)
 WHERE d.suspended_at IS NULL AND d.provision_stopped_at IS NULL
   AND d.field = ANY (f.covered);

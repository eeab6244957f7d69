-- Article 5 ¶1 and ¶2 (issue 24, N1, N5, N10): what provision to partners reads carries
-- only what has a valid basis on record, by the rule of domain/provision_rule.py
-- (`may_provide`, the other reading of `provision_findings`); tests/store/test_provision_feed.py
-- holds this view and that rule to one table of cases. As before, never a suspended item
-- (Art 8) and never a provision that was stopped.
--
-- A provision's footing is the register's (provision_bases) where it records one, else the
-- provision's own; a provision listed otherwise than its partner's footing carries nothing.
-- - third party on consent: the subject's consent to that partner, standing (a withdrawal
--   on record ends it), and only the items it covers;
-- - third party on opt-out: the five matters with their date, the Commission's
--   notification, a purpose of use in force in Article 3's register that includes the
--   provision (not one of the seven as the policy lists them, version 1), and never an
--   item not lawfully obtained (APPI Art 27(2));
-- - third party recorded as `not_third_party`: nothing;
-- - the exceptions of Art 5 ¶1: the basis itself;
-- - joint use: its four particulars on record; entrustment: the handling entrusted and the
--   purpose it serves on record; business succession: as such.
DROP VIEW provision_feed;
CREATE VIEW provision_feed AS
WITH footed AS (
    SELECT p.provision_id, p.subject_id, p.partner_id, p.relationship, p.legal_basis,
           p.data_items,
           coalesce(b.relationship, p.relationship) AS footing_relationship,
           coalesce(b.legal_basis, p.legal_basis) AS footing_basis,
           coalesce(b.particulars, '{}'::jsonb) AS particulars,
           b.matters_announced_at, b.commission_notified_at
      FROM third_party_provisions p
      LEFT JOIN provision_bases b ON b.partner_id = p.partner_id
     WHERE p.stopped_at IS NULL
),
founded AS (
    SELECT f.*, c.data_items AS consented_items
      FROM footed f
      LEFT JOIN consents c ON c.subject_id = f.subject_id AND c.partner_id = f.partner_id
                          AND c.withdrawn_at IS NULL
     WHERE f.footing_relationship = f.relationship AND f.footing_basis = f.legal_basis
       AND CASE f.footing_relationship
           WHEN 'joint_use' THEN
               coalesce(f.particulars -> 'joint_use' ->> 'items', '') <> ''
               AND coalesce(f.particulars -> 'joint_use' ->> 'scope_of_joint_users', '') <> ''
               AND coalesce(f.particulars -> 'joint_use' ->> 'purpose', '') <> ''
               AND coalesce(f.particulars -> 'joint_use' ->> 'person_responsible', '') <> ''
           WHEN 'entrustment' THEN
               coalesce(f.particulars -> 'entrustment' ->> 'handling', '') <> ''
               AND coalesce(f.particulars -> 'entrustment' ->> 'purpose', '') <> ''
           WHEN 'business_succession' THEN true
           ELSE CASE f.footing_basis
               WHEN 'consent' THEN c.subject_id IS NOT NULL
               WHEN 'opt_out_notified' THEN
                   f.commission_notified_at IS NOT NULL
                   AND f.matters_announced_at IS NOT NULL
                   AND coalesce(f.particulars -> 'matters_announced', '[]'::jsonb) @> jsonb_build_array(
                       'provision_in_purpose', 'items_provided', 'means_of_provision',
                       'stops_on_request', 'how_to_request')
                   AND EXISTS (
                       SELECT 1 FROM purposes pu
                        WHERE pu.purpose_id = f.particulars ->> 'provision_purpose'
                          AND pu.effective_from <= now()
                          AND (pu.superseded_at IS NULL OR now() < pu.superseded_at)
                          AND NOT (pu.version = 1 AND pu.purpose_id IN (
                              'provide_service', 'respond_to_inquiries', 'service_emails',
                              'important_notices', 'prevent_abuse', 'account_self_service',
                              'billing')))
               WHEN 'not_third_party' THEN false
               ELSE true  -- the exceptions of Art 5 ¶1
           END
       END
)
SELECT f.provision_id, f.subject_id, f.partner_id, f.relationship, f.legal_basis,
       d.item_id, d.category, d.field, d.value
  FROM founded f
  JOIN personal_data d ON d.subject_id = f.subject_id AND d.field = ANY (f.data_items)
 WHERE d.suspended_at IS NULL
   AND (f.footing_relationship <> 'third_party' OR f.footing_basis <> 'consent'
        OR d.field = ANY (f.consented_items))
   AND (f.footing_relationship <> 'third_party' OR f.footing_basis <> 'opt_out_notified'
        OR NOT EXISTS (SELECT 1 FROM personal_data u
                        WHERE u.subject_id = d.subject_id AND u.field = d.field
                          AND NOT u.lawfully_obtained));

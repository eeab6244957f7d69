-- Article 5 ¶1's opt-out, its purpose and its items (issue 24, review C2 and C3).
--
-- A purpose that includes provision to third parties is marked so, explicitly: it enters
-- the register only through Article 4 or a new version of the policy, never as a purpose
-- incidental to Article 3's on an inventory file's say-so (domain/inventory_registers.py).
ALTER TABLE purposes ADD COLUMN includes_provision boolean NOT NULL DEFAULT false;

-- domain/purposes.py `PurposeVersion.established`: listed in Article 3, made by an Article
-- 4 change, or incidental to one of Article 3's purposes with its relatedness judged.
CREATE FUNCTION purpose_established(purpose_id text, incidental_to text, judged_by text,
                                    change_id text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(
        purpose_id = ANY (ARRAY['provide_service', 'respond_to_inquiries', 'service_emails',
                                'important_notices', 'prevent_abuse', 'account_self_service',
                                'billing'])
        OR change_id IS NOT NULL
        OR (incidental_to = ANY (ARRAY['provide_service', 'respond_to_inquiries',
                                       'service_emails', 'important_notices', 'prevent_abuse',
                                       'account_self_service', 'billing'])
            AND judged_by IS NOT NULL),
        false)
$$;

-- domain/purposes.py `PurposeRegister.within_purpose` over the register as recorded
-- (store/purposes.py `purposes_as_recorded`): the recorded purpose (`billing`,
-- `incidental:billing`) was in force, and established, when the item was used. One of
-- Article 3's purposes not seeded yet counts from the policy's start.
CREATE FUNCTION within_purpose_at(recorded text, used timestamptz) RETURNS boolean
LANGUAGE sql STABLE AS $$
    WITH named AS (
        SELECT CASE WHEN recorded LIKE 'incidental:%' THEN substr(recorded, 12)
                    ELSE recorded END AS purpose_id)
    SELECT coalesce(recorded, '') <> '' AND used IS NOT NULL AND (
        EXISTS (SELECT 1 FROM purposes pu, named n
                 WHERE pu.purpose_id = n.purpose_id
                   AND pu.effective_from <= used
                   AND (pu.superseded_at IS NULL OR used < pu.superseded_at)
                   AND purpose_established(pu.purpose_id, pu.incidental_to, pu.judged_by,
                                           pu.change_id))
        OR EXISTS (SELECT 1 FROM named n
                    WHERE n.purpose_id = ANY (ARRAY['provide_service', 'respond_to_inquiries',
                              'service_emails', 'important_notices', 'prevent_abuse',
                              'account_self_service', 'billing'])
                      AND used >= '2000-01-01T00:00:00Z'
                      AND NOT EXISTS (SELECT 1 FROM purposes pu
                                       WHERE pu.purpose_id = n.purpose_id)))
$$;

-- The feed (replacing 0004's; issue 24, N1, N5, N10, C2, C3): what provision to partners
-- reads carries only what has a valid basis on record. A provision's footing is the
-- register's (provision_bases) where it records one, else the provision's own; a
-- provision listed otherwise than its partner's footing carries nothing. Each footing is
-- its own branch of simple conditions, so the planner estimates them and joins by hash.
-- - third party on consent: the subject's consent to that partner, standing (a withdrawal
--   on record ends it), and only the items it covers;
-- - third party on opt-out: the five matters with their date, the Commission's
--   notification, a purpose in force that is established and marked as including
--   provision (`loyalty_points` or a legacy purpose without a judgement does not
--   qualify), its matters announced on or after the purpose first included provision (the
--   date read in Japan's time, as domain/provision_rule.py reads it), and only items every
--   row of which is held for that very purpose, was within purpose at every use (Article
--   8: the current one and each past one) and was lawfully obtained (APPI Art 27(2));
-- - the exceptions of Art 5 ¶1, and business succession: the footing itself;
-- - joint use: its four particulars on record; entrustment: the handling entrusted and the
--   purpose it serves on record;
-- - never a suspended item (Art 8), never a stopped provision.
-- domain/provision_rule.py states the same rule; tests/store/test_provision_feed.py holds
-- the two to one table of cases.
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
    -- Opt-out: the five matters with their date, the Commission notified, an established
    -- purpose in force that includes the provision, announced on or after it began to;
    -- only items held for it, within purpose at every use and lawfully obtained.
    SELECT r.*,
           ARRAY(SELECT item FROM unnest(r.data_items) AS item
                  WHERE NOT EXISTS (
                          SELECT 1 FROM personal_data u
                           WHERE u.subject_id = r.subject_id AND u.field = item
                             AND (NOT u.lawfully_obtained
                                  OR u.purpose IS DISTINCT FROM pu.purpose_id
                                  OR NOT within_purpose_at(u.purpose,
                                                           coalesce(u.used_at, u.acquired_at))
                                  OR EXISTS (
                                        SELECT 1 FROM jsonb_array_elements(u.past_uses) e
                                         WHERE NOT within_purpose_at(
                                                   e ->> 'purpose',
                                                   (e ->> 'since')::timestamptz)))))
      FROM running r
      JOIN provision_bases b ON b.partner_id = r.partner_id
      JOIN purposes pu ON pu.purpose_id = b.particulars ->> 'provision_purpose'
                      AND pu.effective_from <= now()
                      AND (pu.superseded_at IS NULL OR now() < pu.superseded_at)
     WHERE r.relationship = 'third_party' AND r.legal_basis = 'opt_out_notified'
       AND b.commission_notified_at IS NOT NULL
       AND b.matters_announced_at IS NOT NULL
       AND coalesce(b.particulars -> 'matters_announced', '[]'::jsonb) @> jsonb_build_array(
               'provision_in_purpose', 'items_provided', 'means_of_provision',
               'stops_on_request', 'how_to_request')
       AND pu.includes_provision
       AND purpose_established(pu.purpose_id, pu.incidental_to, pu.judged_by, pu.change_id)
       AND b.matters_announced_at >= (
               SELECT (min(f.effective_from) AT TIME ZONE 'Asia/Tokyo')::date
                 FROM purposes f
                WHERE f.purpose_id = pu.purpose_id AND f.includes_provision
                  AND purpose_established(f.purpose_id, f.incidental_to, f.judged_by,
                                          f.change_id))
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
 WHERE d.suspended_at IS NULL AND d.field = ANY (f.covered);

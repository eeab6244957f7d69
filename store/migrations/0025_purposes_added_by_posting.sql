-- A purpose added to Article 3's list by a posted version of the privacy policy (issue 24,
-- Article 9: "the changed Privacy Policy shall take effect when posted"): `posted_in` names
-- the version whose posting added it (store/privacy_policy.py `post_policy`). Such a purpose
-- is established (domain/purposes.py `PurposeVersion.established`), so a purpose marked as
-- including provision to third parties can carry an opt-out (Article 5 ¶1).
ALTER TABLE purposes ADD COLUMN posted_in text;

-- 0023's rule, with the posted route. A purpose, not a version: only a purpose's first
-- version is added by a posting, and its later versions are made by Article 4 changes.
CREATE OR REPLACE FUNCTION purpose_established(purpose_id text, incidental_to text,
                                               judged_by text, change_id text)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        $1 = ANY (ARRAY['provide_service', 'respond_to_inquiries', 'service_emails',
                        'important_notices', 'prevent_abuse', 'account_self_service',
                        'billing'])
        OR $4 IS NOT NULL
        OR ($2 = ANY (ARRAY['provide_service', 'respond_to_inquiries', 'service_emails',
                            'important_notices', 'prevent_abuse', 'account_self_service',
                            'billing'])
            AND $3 IS NOT NULL)
        OR EXISTS (SELECT 1 FROM purposes p WHERE p.purpose_id = $1 AND p.posted_in IS NOT NULL),
        false)
$$;

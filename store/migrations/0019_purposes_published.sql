-- Article 3/4/8/9 (issue 24: N2, N6, N14, N15).
--
-- A purpose the policy does not list enters the register only as incidental to one of
-- Article 3's purposes, its relatedness judged (by whom, when, why), or through Article 4.
-- Each version keeps its Japanese text beside the English one.
ALTER TABLE purposes ADD COLUMN text_ja text;
ALTER TABLE purposes ADD COLUMN judged_by text;
ALTER TABLE purposes ADD COLUMN judged_at timestamptz;
ALTER TABLE purposes ADD COLUMN judgement text;

-- A change's Japanese text, and when it took effect: on or after its publication or its
-- notices, never at acceptance (Article 4 ¶2).
ALTER TABLE purpose_changes ADD COLUMN proposed_text_ja text;
ALTER TABLE purpose_changes ADD COLUMN in_force_at timestamptz;

-- Article 8 judges an item by every purpose it was used under: each earlier use (purpose,
-- from, until) is kept when a load gives the item another purpose or another `used_at`.
ALTER TABLE personal_data ADD COLUMN past_uses jsonb NOT NULL DEFAULT '[]';

-- Article 9: the text of each posted version (NULL for a version posted before this
-- migration), and the Article 4 change that produced it, if one did.
ALTER TABLE privacy_policy_versions ADD COLUMN text text;
ALTER TABLE privacy_policy_versions ADD COLUMN purpose_change text;

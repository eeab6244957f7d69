-- Issue 24: migrations 0022 (Article 8 ¶4's measure "stop provision to third parties"
-- marks items `provision_stopped_at`) and 0023 (the opt-out's purpose and items) were
-- written side by side; 0023 rebuilt provision_feed from 0016 and lost 0022's condition.
-- The feed by basis keeps 0023's rule under its own name, and provision_feed is that feed
-- less the items an alternative measure stopped: one rule per view, none repeated.
ALTER VIEW provision_feed RENAME TO provision_feed_by_basis;
CREATE VIEW provision_feed AS
SELECT f.*
  FROM provision_feed_by_basis f
  JOIN personal_data d ON d.item_id = f.item_id
 WHERE d.provision_stopped_at IS NULL;

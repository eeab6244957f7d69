"""The custom search attributes operators filter on in the Web UI. Non-personal only."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

KIND = SearchAttributeKey.for_keyword("DsrKind")
STATUS = SearchAttributeKey.for_keyword("DsrStatus")
STEP = SearchAttributeKey.for_keyword("DsrStep")
DUE_AT = SearchAttributeKey.for_datetime("DsrDueAt")
OVERDUE = SearchAttributeKey.for_bool("DsrOverdue")
# Two policies, two attributes: the deadline policy (domain/deadlines.py) and the privacy
# policy in force at receipt (Article 9, domain/privacy_policy.py).
DEADLINE_POLICY_VERSION = SearchAttributeKey.for_keyword("DsrDeadlinePolicyVersion")
PRIVACY_POLICY_VERSION = SearchAttributeKey.for_keyword("DsrPrivacyPolicyVersion")
LEGACY_POLICY_VERSION = SearchAttributeKey.for_keyword("DsrPolicyVersion")
"""The deadline policy's version under its first name, which read as the privacy policy's:
requests started before the patch `policy-versions-apart` keep setting it, so it stays
registered until they have all closed."""

POLICY_VERSIONS_APART = "policy-versions-apart"
"""The patch that names the two versions apart; a request started before it shows the
deadline policy's version as DsrPolicyVersion, as it always did."""

ALL = (
    KIND,
    STATUS,
    STEP,
    DUE_AT,
    OVERDUE,
    DEADLINE_POLICY_VERSION,
    PRIVACY_POLICY_VERSION,
    LEGACY_POLICY_VERSION,
)

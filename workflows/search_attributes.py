"""The custom search attributes operators filter on in the Web UI. Non-personal only."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

KIND = SearchAttributeKey.for_keyword("DsrKind")
STATUS = SearchAttributeKey.for_keyword("DsrStatus")
STEP = SearchAttributeKey.for_keyword("DsrStep")
DUE_AT = SearchAttributeKey.for_datetime("DsrDueAt")
OVERDUE = SearchAttributeKey.for_bool("DsrOverdue")
POLICY_VERSION = SearchAttributeKey.for_keyword("DsrPolicyVersion")

ALL = (KIND, STATUS, STEP, DUE_AT, OVERDUE, POLICY_VERSION)

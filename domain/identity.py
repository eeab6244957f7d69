"""Who may act on a request: proof that the requester is the person concerned.

Typing the registered e-mail address proves little: anyone who knows it can type it. So
a match with the registration verifies identity on its own only where a mistake cannot
hurt the person; a request that would disclose, change or erase their data waits for an
operator's verification (docs/policy-interpretation.md, "Identity").
"""

from __future__ import annotations

from domain.requests import RequestKind

# Stopping provision to third parties only ever narrows what is done with the person's
# data, so an impostor gains nothing by it; every other kind discloses, changes or erases.
VERIFIED_BY_MATCH = frozenset({RequestKind.THIRD_PARTY_STOP})


def verified_by_registration_match(kind: RequestKind) -> bool:
    return kind in VERIFIED_BY_MATCH

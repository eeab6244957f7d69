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


ONE_TIME_CODE = "one_time_code"
REGISTRATION_MATCH = "registration_match"


def identity_method(kind: RequestKind, *, matched: bool, code_verified: bool) -> str | None:
    """How the requester is verified at intake, if at all. A one-time code sent to the
    address on record and entered in the privacy center proves control of that address,
    which typing it does not; it counts only with the match, so a code can never verify a
    request that names another address than the one it was sent to."""
    if matched and code_verified:
        return ONE_TIME_CODE
    if matched and verified_by_registration_match(kind):
        return REGISTRATION_MATCH
    return None


def withdraws_consent(method: str | None) -> bool:
    """N13: a stop request withdraws the person's standing consents to the partners stopped
    only when its requester proved who they are (the privacy center's code, or an
    operator's check); a typed address that matches the registration stops the provision
    but leaves the consents on record, since only the person can give them again
    (docs/policy-interpretation.md, "A stop confirmed only by a typed address")."""
    return method is not None and method != REGISTRATION_MATCH

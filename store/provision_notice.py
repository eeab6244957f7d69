"""Article 5 ¶2 in a stop's notice (N5): the recipients that stood as not third parties
when the request was investigated, each with the particulars on record that make it so
(joint use: items, scope of joint users, purpose, person responsible; entrustment: the
handling entrusted and its purpose), for the notice to state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.holdings import Relationship
from domain.provision_rule import particulars_missing
from store.connection import Connection
from store.provisions import stored_bases


async def not_third_party_facts(
    connection: Connection, relation: Mapping[str, str], found: Mapping[str, Any] | None
) -> dict[str, Any]:
    """`not_third_parties` as the investigation judged them (a request investigated before
    it recorded them: by the provisions' own relationship), and `particulars`."""
    if found and "not_third_parties" in found:
        standing = dict(found["not_third_parties"])
    else:
        standing = {p: r for p, r in relation.items() if r != Relationship.THIRD_PARTY.value}
    bases = await stored_bases(connection, list(standing))
    particulars = []
    for partner, relationship in sorted(standing.items()):
        stored = bases.get(partner)
        if stored is None or particulars_missing(Relationship(relationship), stored.basis):
            continue
        texts: Mapping[Any, str] = (
            stored.basis.joint_use
            if relationship == Relationship.JOINT_USE.value
            else stored.basis.entrustment
            if relationship == Relationship.ENTRUSTMENT.value
            else {}
        )
        if texts:
            particulars.append(
                (partner, relationship, tuple((p.value, t) for p, t in sorted(texts.items())))
            )
    return {
        "not_third_parties": tuple(sorted(standing.items())),
        "particulars": tuple(particulars),
    }

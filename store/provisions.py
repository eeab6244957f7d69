"""Article 5's register in PostgreSQL: each partner's footing (`provision-bases` stream,
`provision_bases` projection) and consent given and withdrawn (`consents` stream,
`consents` projection, mirrored in `third_party_provisions.consented_at`).

Every write appends its register event in the caller's transaction, with the projection
brought in line in the same transaction. An event's idempotency key is made of what it
records and the version of the row it makes, so recording what is on record already appends
nothing, and a footing changed and changed back is recorded twice, as it happened. The
payloads hold ids, relationships, bases, the items' field names, dates and the
organisation's own texts of joint use: nothing personal (domain/registers.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from domain.holdings import ProvisionBasis, Relationship
from domain.provision_register import (
    BasisRecord,
    ConsentRecord,
    EntrustmentParticular,
    JointUseParticular,
    OptOutMatter,
)
from domain.registers import NewRegisterEvent, RegisterEventType
from store.connection import Connection
from store.registers import append_register_event

BASES_STREAM = "provision-bases"
CONSENTS_STREAM = "consents"


class Recorded(StrEnum):
    """What recording did to the register."""

    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # the register holds a later act of the person's, which stands


@dataclass(frozen=True)
class StoredBasis:
    basis: BasisRecord
    version: int


@dataclass(frozen=True)
class StoredConsent:
    consent: ConsentRecord
    version: int


def _basis(row: asyncpg.Record) -> BasisRecord:
    particulars = row["particulars"] or {}
    return BasisRecord(
        partner_id=row["partner_id"],
        relationship=Relationship(row["relationship"]),
        legal_basis=ProvisionBasis(row["legal_basis"]),
        matters_announced=frozenset(
            OptOutMatter(m) for m in particulars.get("matters_announced", ())
        ),
        matters_announced_at=row["matters_announced_at"],
        commission_notified_at=row["commission_notified_at"],
        joint_use={
            JointUseParticular(p): text for p, text in (particulars.get("joint_use") or {}).items()
        },
        provision_purpose=particulars.get("provision_purpose"),
        entrustment={
            EntrustmentParticular(p): text
            for p, text in (particulars.get("entrustment") or {}).items()
        },
    )


async def stored_bases(
    connection: Connection | asyncpg.Pool, partner_ids: Iterable[str] | None = None
) -> dict[str, StoredBasis]:
    """The footing on record per partner (every partner's when `partner_ids` is None)."""
    rows = await connection.fetch(
        """SELECT * FROM provision_bases
            WHERE $1::text[] IS NULL OR partner_id = ANY($1::text[])""",
        None if partner_ids is None else list(partner_ids),
    )
    return {row["partner_id"]: StoredBasis(_basis(row), row["version"]) for row in rows}


async def record_basis(
    connection: Connection,
    basis: BasisRecord,
    stored: StoredBasis | None,
    *,
    at: datetime,
    actor: str,
) -> Recorded:
    """The partner's footing as `basis` says, with its `provision_basis.recorded` event;
    nothing when it is on record already. `stored` is what `stored_bases` read in this
    transaction."""
    if stored is not None and stored.basis == basis:
        return Recorded.UNCHANGED
    version = 1 if stored is None else stored.version + 1
    await append_register_event(
        connection,
        NewRegisterEvent(
            stream=BASES_STREAM,
            type=RegisterEventType.PROVISION_BASIS_RECORDED,
            payload={**basis.payload(), "version": version},
            occurred_at=at,
            actor=actor,
            idempotency_key=f"{BASES_STREAM}/{basis.partner_id}/{version}/{basis.digest()}",
        ),
    )
    particulars: dict[str, object] = {
        "matters_announced": sorted(m.value for m in basis.matters_announced),
        "joint_use": {p.value: text for p, text in basis.joint_use.items()},
    }
    # Read by the provision_feed view too (store/migrations/0016_provision_feed_basis.sql).
    if basis.provision_purpose is not None:
        particulars["provision_purpose"] = basis.provision_purpose
    if basis.entrustment:
        particulars["entrustment"] = {p.value: t for p, t in basis.entrustment.items()}
    await connection.execute(
        """INSERT INTO provision_bases (partner_id, relationship, legal_basis, particulars,
                                        matters_announced_at, commission_notified_at,
                                        recorded_at, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (partner_id) DO UPDATE SET
               relationship = EXCLUDED.relationship, legal_basis = EXCLUDED.legal_basis,
               particulars = EXCLUDED.particulars,
               matters_announced_at = EXCLUDED.matters_announced_at,
               commission_notified_at = EXCLUDED.commission_notified_at,
               recorded_at = EXCLUDED.recorded_at, version = EXCLUDED.version""",
        basis.partner_id,
        basis.relationship.value,
        basis.legal_basis.value,
        particulars,
        basis.matters_announced_at,
        basis.commission_notified_at,
        at,
        version,
    )
    return Recorded.ADDED if stored is None else Recorded.CHANGED


def _consent(row: asyncpg.Record) -> ConsentRecord:
    return ConsentRecord(
        row["subject_id"],
        row["partner_id"],
        frozenset(row["data_items"]),
        row["given_at"],
        row["withdrawn_at"],
    )


async def stored_consents(
    connection: Connection | asyncpg.Pool,
    subject_ids: Iterable[str] | None = None,
    *,
    lock: bool = False,
) -> dict[tuple[str, str], StoredConsent]:
    """The latest consent per subject and partner (every subject's when None); `lock`:
    held until the transaction ends, so a stop's withdrawal waits rather than interleaves."""
    rows = await connection.fetch(
        "SELECT * FROM consents WHERE $1::text[] IS NULL OR subject_id = ANY($1::text[])"
        + (" FOR UPDATE" if lock else ""),
        None if subject_ids is None else list(subject_ids),
    )
    return {
        (row["subject_id"], row["partner_id"]): StoredConsent(_consent(row), row["version"])
        for row in rows
    }


def _consent_key(subject_id: str, partner_id: str, version: int) -> str:
    return f"{CONSENTS_STREAM}/{subject_id}/{partner_id}/{version}"


async def record_consent(
    connection: Connection, consent: ConsentRecord, stored: StoredConsent | None, *, actor: str
) -> Recorded:
    """A consent as an inventory lists it: `consent.given` for a consent not on record (or
    given later than the one on record, or covering other items), `consent.withdrawn` when
    the file says it was withdrawn. A withdrawal on record stands: a file that lists that
    consent as standing changes nothing (the person gives a new consent, with a later
    time, or not at all); so does a file older than the consent on record."""
    held = stored.consent if stored is not None else None
    if held is not None and consent.given_at < held.given_at:
        return Recorded.KEPT
    if held is not None and held.withdrawn_at is not None and consent.given_at <= held.withdrawn_at:
        # Given before the person withdrew (a stop request, say): the withdrawal, later,
        # stands; only a consent given after it can replace it.
        return Recorded.KEPT
    if held is None or consent.given_at > held.given_at or consent.data_items != held.data_items:
        version = 1 if stored is None else stored.version + 1
        withdrawn = consent.withdrawn_at
        if held is not None and consent.given_at == held.given_at:
            withdrawn = held.withdrawn_at or withdrawn  # the same consent: its withdrawal stands
        await _give(connection, consent, version, actor=actor)
        if withdrawn is not None:
            await _withdraw(
                connection,
                consent.subject_id,
                consent.partner_id,
                version,
                withdrawn,
                actor=actor,
                cause=None,
            )
        return Recorded.ADDED if held is None else Recorded.CHANGED
    if held.withdrawn_at is not None:
        return Recorded.UNCHANGED if consent.withdrawn_at is not None else Recorded.KEPT
    if consent.withdrawn_at is None:
        return Recorded.UNCHANGED
    assert stored is not None
    await _withdraw(
        connection,
        consent.subject_id,
        consent.partner_id,
        stored.version,
        consent.withdrawn_at,
        actor=actor,
        cause=None,
    )
    return Recorded.CHANGED


async def _give(
    connection: Connection, consent: ConsentRecord, version: int, *, actor: str
) -> None:
    await append_register_event(
        connection,
        NewRegisterEvent(
            stream=CONSENTS_STREAM,
            type=RegisterEventType.CONSENT_GIVEN,
            payload=consent.given_payload(version),
            occurred_at=consent.given_at,
            actor=actor,
            idempotency_key=f"{_consent_key(consent.subject_id, consent.partner_id, version)}"
            f"/given/{consent.digest()}",
        ),
    )
    await connection.execute(
        """INSERT INTO consents (subject_id, partner_id, data_items, given_at, withdrawn_at,
                                 version)
           VALUES ($1, $2, $3, $4, NULL, $5)
           ON CONFLICT (subject_id, partner_id) DO UPDATE SET
               data_items = EXCLUDED.data_items, given_at = EXCLUDED.given_at,
               withdrawn_at = NULL, version = EXCLUDED.version""",
        consent.subject_id,
        consent.partner_id,
        sorted(consent.data_items),
        consent.given_at,
        version,
    )
    await sync_consented_at(connection, [consent.subject_id])


async def _withdraw(
    connection: Connection,
    subject_id: str,
    partner_id: str,
    version: int,
    at: datetime,
    *,
    actor: str,
    cause: str | None,
) -> None:
    """One withdrawal per consent given: its key names the consent's version."""
    payload: dict[str, str | int | None] = {
        "subject_id": subject_id,
        "partner_id": partner_id,
        "version": version,
        "withdrawn_at": at.isoformat(),
    }
    if cause is not None:
        payload["request_id"] = cause
    await append_register_event(
        connection,
        NewRegisterEvent(
            stream=CONSENTS_STREAM,
            type=RegisterEventType.CONSENT_WITHDRAWN,
            payload=payload,
            occurred_at=at,
            actor=actor,
            idempotency_key=f"{_consent_key(subject_id, partner_id, version)}/withdrawn",
        ),
    )
    await connection.execute(
        """UPDATE consents SET withdrawn_at = $4
            WHERE subject_id = $1 AND partner_id = $2 AND version = $3
              AND withdrawn_at IS NULL""",
        subject_id,
        partner_id,
        version,
        at,
    )
    await sync_consented_at(connection, [subject_id])


async def withdraw_standing_consents(
    connection: Connection,
    subject_id: str,
    partner_ids: Iterable[str],
    at: datetime,
    *,
    request_id: str,
) -> list[str]:
    """Article 5: a person's request to stop provision to a partner withdraws their
    consent to it. In the stop's transaction; returns the partners whose consent stood."""
    rows = await connection.fetch(
        """SELECT partner_id, version FROM consents
            WHERE subject_id = $1 AND partner_id = ANY($2::text[]) AND withdrawn_at IS NULL
            ORDER BY partner_id FOR UPDATE""",
        subject_id,
        list(partner_ids),
    )
    for row in rows:
        await _withdraw(
            connection,
            subject_id,
            row["partner_id"],
            row["version"],
            at,
            actor="system",
            cause=request_id,
        )
    return [row["partner_id"] for row in rows]


async def sync_consented_at(connection: Connection, subject_ids: list[str]) -> None:
    """`third_party_provisions.consented_at`: when the standing consent to that partner was
    given; NULL with none standing."""
    await connection.execute(
        """WITH wanted AS (
               SELECT p.provision_id, c.given_at FROM third_party_provisions p
                 LEFT JOIN consents c ON c.subject_id = p.subject_id
                                     AND c.partner_id = p.partner_id
                                     AND c.withdrawn_at IS NULL
                WHERE p.subject_id = ANY($1::text[]))
           UPDATE third_party_provisions p SET consented_at = w.given_at FROM wanted w
            WHERE p.provision_id = w.provision_id
              AND p.consented_at IS DISTINCT FROM w.given_at""",
        subject_ids,
    )

"""What a decision changes in a system (domain/fulfilment.py `plan_for`): an erasure's and a
suspension's changes to the items in breach, a correction's to the items of each change
made, the refusals the map's rules give, and the order the changes are made in."""

from __future__ import annotations

from typing import Any

import pytest

from domain.datamap import DataMap, System
from domain.decisions import Outcome
from domain.fulfilment import (
    ACTING,
    Change,
    Plan,
    Refusal,
    RowChange,
    SystemItem,
    SystemPart,
    plan_for,
)
from tests.support.builders import mapped_field

TAX_REASON = "kept 7 years under the Corporation Tax Act"
CONSENT_REASON = "the record of a consent is kept while it may be disputed"


def _system() -> System:
    """customers (by e-mail) ─▶ orders (through the customer) ─▶ order_lines (through the
    order); consents (by e-mail), listed last."""
    document = {
        "systems": {
            "shop": {
                "kind": "postgres",
                "connection": {"env": "SHOP_URL"},
                "collections": {
                    "customers": {
                        "identities": [{"column": "email", "identity": "email"}],
                        "suspension_flag": "restricted",
                        "fields": {
                            "email": mapped_field("email", erasure="mask", **{"as": "email"}),
                            "phone": mapped_field("phone", erasure="set_null", **{"as": "phone"}),
                            "full_name": mapped_field(
                                "full_name", erasure="mask", **{"as": "name"}
                            ),
                            "source": mapped_field(
                                "source", erasure="delete_row", **{"as": "source"}
                            ),
                            "account_no": mapped_field(
                                "account_no",
                                erasure="refuse",
                                correction="refuse",
                                reason=TAX_REASON,
                                **{"as": "customer_number"},
                            ),
                        },
                    },
                    "orders": {
                        "through": {
                            "collection": "customers",
                            "column": "customer_id",
                            "references": "id",
                        },
                        "suspension_flag": "restricted",
                        "fields": {
                            "address": mapped_field(
                                "address", erasure="delete_row", **{"as": "address"}
                            ),
                            "contact_phone": mapped_field(
                                "contact_phone", erasure="set_null", **{"as": "phone"}
                            ),
                            "total": mapped_field(
                                "total",
                                erasure="refuse",
                                suspension="refuse",
                                reason=TAX_REASON,
                                **{"as": "total"},
                            ),
                        },
                    },
                    "order_lines": {
                        "through": {
                            "collection": "orders",
                            "column": "order_id",
                            "references": "id",
                        },
                        "suspension_flag": "restricted",
                        "fields": {
                            "note": mapped_field("note", erasure="delete_row", **{"as": "note"})
                        },
                    },
                    "consents": {
                        "identities": [{"column": "email", "identity": "email"}],
                        "suspension_flag": "withdrawn",
                        "fields": {
                            "marketing": mapped_field(
                                "marketing",
                                erasure="delete_row",
                                suspension="refuse",
                                reason=CONSENT_REASON,
                                **{"as": "marketing"},
                            )
                        },
                    },
                },
            }
        }
    }
    return DataMap.model_validate(document).system("shop")


SYSTEM = _system()
_FIELD_AS = {
    (name, field): rule.as_field or field
    for name, collection in SYSTEM.collections.items()
    for field, rule in collection.fields.items()
}


class Items:
    """Builds the subject's items, numbering them as the store does."""

    def __init__(self) -> None:
        self.items: list[SystemItem] = []

    def add(self, collection: str, key: str, field: str, *, suspended: bool = False) -> int:
        item_id = len(self.items) + 1
        self.items.append(
            SystemItem(
                item_id=item_id,
                collection=collection,
                key=key,
                system_field=field,
                field=_FIELD_AS[(collection, field)],
                suspended=suspended,
            )
        )
        return item_id


def _rc(
    collection: str, key: str, change: Change, field: str | None = None, value: str | None = None
) -> RowChange:
    return RowChange(collection, key, change, field, value)


# ERASED ----------------------------------------------------------------------------------


def test_erasure_sets_null_and_masks_the_fields_in_breach() -> None:
    items = Items()
    phone = items.add("customers", "1", "phone")
    email = items.add("customers", "1", "email")
    name = items.add("customers", "1", "full_name")
    part = plan_for(SYSTEM, Outcome.ERASED, items.items, in_breach=frozenset({phone, email, name}))
    assert part.plan.changes == (
        _rc("customers", "1", Change.SET_NULL, "phone"),
        _rc("customers", "1", Change.MASK, "email"),
        _rc("customers", "1", Change.MASK, "full_name"),
    )
    assert part.refused == ()


def test_erasure_leaves_items_not_in_breach_untouched() -> None:
    items = Items()
    phone = items.add("customers", "1", "phone")
    items.add("customers", "1", "email")  # not in breach
    items.add("customers", "2", "phone")  # another row, not in breach
    items.add("orders", "20", "address")  # a delete_row field, not in breach
    items.add("order_lines", "200", "note")
    part = plan_for(SYSTEM, Outcome.ERASED, items.items, in_breach=frozenset({phone}))
    assert part.plan.changes == (_rc("customers", "1", Change.SET_NULL, "phone"),)
    assert part.refused == ()


def test_erasure_with_nothing_in_breach_changes_nothing() -> None:
    items = Items()
    items.add("customers", "1", "phone")
    items.add("orders", "10", "address")
    part = plan_for(SYSTEM, Outcome.ERASED, items.items)
    assert part == SystemPart()


def test_erasure_deletes_rows_last_children_before_parents() -> None:
    """Rows are deleted after every field change, those reached through another row before
    it: order lines, then orders, then the customer (and consents, found from identities,
    after the orders reached through the customers)."""
    items = Items()
    ids = [
        items.add("customers", "1", "source"),
        items.add("consents", "5", "marketing"),
        items.add("orders", "10", "address"),
        items.add("order_lines", "100", "note"),
        items.add("orders", "11", "address"),
        items.add("order_lines", "101", "note"),
        items.add("customers", "2", "phone"),  # a field change, listed after the deletions
    ]
    part = plan_for(SYSTEM, Outcome.ERASED, items.items, in_breach=frozenset(ids))
    changes = list(part.plan.changes)
    assert changes[0] == _rc("customers", "2", Change.SET_NULL, "phone")
    deletions = changes[1:]
    assert all(c.change is Change.DELETE_ROW and c.field is None for c in deletions)
    assert [(c.collection, c.key) for c in deletions] == [
        ("order_lines", "100"),
        ("order_lines", "101"),
        ("orders", "10"),
        ("orders", "11"),
        ("consents", "5"),
        ("customers", "1"),
    ]


def test_erasure_deletes_a_row_once_and_drops_field_changes_on_it() -> None:
    items = Items()
    ids = [
        items.add("customers", "1", "phone"),
        items.add("customers", "1", "email"),
        items.add("customers", "1", "source"),
        items.add("orders", "10", "address"),
        items.add("orders", "10", "contact_phone"),
    ]
    part = plan_for(SYSTEM, Outcome.ERASED, items.items, in_breach=frozenset(ids))
    assert part.plan.changes == (
        _rc("orders", "10", Change.DELETE_ROW),
        _rc("customers", "1", Change.DELETE_ROW),
    )


def test_erasure_refused_by_the_map_is_a_refusal_with_its_reason() -> None:
    items = Items()
    account = items.add("customers", "1", "account_no")
    phone = items.add("customers", "1", "phone")
    part = plan_for(SYSTEM, Outcome.ERASED, items.items, in_breach=frozenset({account, phone}))
    assert part.plan.changes == (_rc("customers", "1", Change.SET_NULL, "phone"),)
    assert part.refused == (Refusal("customers", "account_no", TAX_REASON),)
    assert part.refused[0].line() == f"customers.account_no: {TAX_REASON}"
    assert part.refused_text() == f"customers.account_no: {TAX_REASON}"


def test_a_refused_field_keeps_its_row_from_deletion() -> None:
    """Order 10's total is kept: the row stays, its address is refused with it (its
    contact phone still goes alone); order 11 holds nothing kept and is deleted."""
    items = Items()
    ids = [
        items.add("orders", "10", "address"),
        items.add("orders", "10", "total"),
        items.add("orders", "10", "contact_phone"),
        items.add("orders", "11", "address"),
    ]
    part = plan_for(SYSTEM, Outcome.ERASED, items.items, in_breach=frozenset(ids))
    assert part.plan.changes == (
        _rc("orders", "10", Change.SET_NULL, "contact_phone"),
        _rc("orders", "11", Change.DELETE_ROW),
    )
    assert set(part.refused) == {
        Refusal("orders", "total", TAX_REASON),
        Refusal("orders", "address", "kept with the rest of its row"),
    }
    assert part.refused_text() == (
        f"orders.address: kept with the rest of its row; orders.total: {TAX_REASON}"
    )


# USE_SUSPENDED ---------------------------------------------------------------------------


def test_suspension_flags_each_row_once() -> None:
    items = Items()
    ids = [
        items.add("customers", "1", "phone"),
        items.add("customers", "1", "email"),
        items.add("orders", "10", "address"),
        items.add("orders", "10", "contact_phone"),
        items.add("orders", "11", "address"),
    ]
    part = plan_for(SYSTEM, Outcome.USE_SUSPENDED, items.items, in_breach=frozenset(ids))
    assert part.plan.changes == (
        _rc("customers", "1", Change.FLAG),
        _rc("orders", "10", Change.FLAG),
        _rc("orders", "11", Change.FLAG),
    )
    assert all(c.field is None and c.value is None for c in part.plan.changes)
    assert part.refused == ()


def test_suspension_skips_items_already_suspended_and_not_in_breach() -> None:
    items = Items()
    suspended = items.add("customers", "1", "phone", suspended=True)
    in_breach = items.add("orders", "10", "address")
    items.add("orders", "11", "address")  # not in breach
    part = plan_for(
        SYSTEM, Outcome.USE_SUSPENDED, items.items, in_breach=frozenset({suspended, in_breach})
    )
    assert part.plan.changes == (_rc("orders", "10", Change.FLAG),)


def test_suspension_refused_by_the_map_is_a_refusal_and_no_flag() -> None:
    items = Items()
    ids = [
        items.add("consents", "5", "marketing"),
        items.add("orders", "10", "total"),
        items.add("orders", "10", "address"),
    ]
    part = plan_for(SYSTEM, Outcome.USE_SUSPENDED, items.items, in_breach=frozenset(ids))
    assert part.plan.changes == (_rc("orders", "10", Change.FLAG),)
    assert part.refused == (
        Refusal("consents", "marketing", CONSENT_REASON),
        Refusal("orders", "total", TAX_REASON),
    )


# CORRECTION_MADE -------------------------------------------------------------------------


def _correct(field: str, new_value: str) -> dict[str, Any]:
    return {"field": field, "action": "correct", "new_value": new_value}


def test_correction_updates_every_item_of_the_field_it_names() -> None:
    """`phone` is the customer's phone and each order's contact phone (both `as: phone`);
    the correction reaches them all, whether in breach or not, and nothing else."""
    items = Items()
    items.add("customers", "1", "phone")
    items.add("customers", "1", "email")
    items.add("orders", "10", "contact_phone")
    items.add("orders", "11", "contact_phone")
    items.add("orders", "10", "address")
    part = plan_for(
        SYSTEM, Outcome.CORRECTION_MADE, items.items, changes=[_correct("phone", "+81 90 1111")]
    )
    assert part.plan.changes == (
        _rc("customers", "1", Change.UPDATE, "phone", "+81 90 1111"),
        _rc("orders", "10", Change.UPDATE, "contact_phone", "+81 90 1111"),
        _rc("orders", "11", Change.UPDATE, "contact_phone", "+81 90 1111"),
    )
    assert part.refused == ()


def test_correction_matches_the_maps_as_not_the_system_field() -> None:
    items = Items()
    items.add("customers", "1", "full_name")  # `as: name`
    part = plan_for(
        SYSTEM, Outcome.CORRECTION_MADE, items.items, changes=[_correct("full_name", "Aiko")]
    )
    assert part.plan.changes == ()
    part = plan_for(
        SYSTEM, Outcome.CORRECTION_MADE, items.items, changes=[_correct("name", "Aiko")]
    )
    assert part.plan.changes == (_rc("customers", "1", Change.UPDATE, "full_name", "Aiko"),)


def test_correction_skips_the_declined_changes() -> None:
    items = Items()
    items.add("customers", "1", "phone")
    items.add("customers", "1", "email")
    items.add("customers", "1", "full_name")
    changes = [
        _correct("phone", "+81 90 1111"),
        _correct("email", "new@example.test"),
        _correct("name", "Aiko Sato"),
    ]
    part = plan_for(
        SYSTEM, Outcome.CORRECTION_MADE, items.items, changes=changes, declined=frozenset({0, 2})
    )
    assert part.plan.changes == (_rc("customers", "1", Change.UPDATE, "email", "new@example.test"),)


def test_correction_delete_follows_the_erasure_rules() -> None:
    items = Items()
    items.add("customers", "1", "phone")
    items.add("orders", "10", "contact_phone")
    items.add("orders", "10", "address")
    items.add("orders", "11", "address")
    items.add("orders", "11", "total")
    part = plan_for(
        SYSTEM,
        Outcome.CORRECTION_MADE,
        items.items,
        changes=[{"field": "phone", "action": "delete"}, {"field": "address", "action": "delete"}],
    )
    # Order 10 goes whole (its phone with it); order 11 holds a total the map keeps for
    # the tax law, so the row is kept whole and its address is refused with it.
    assert part.plan.changes == (
        _rc("customers", "1", Change.SET_NULL, "phone"),
        _rc("orders", "10", Change.DELETE_ROW),
    )
    assert [(r.collection, r.field, r.reason) for r in part.refused] == [
        ("orders", "address", "kept with the rest of its row")
    ]


def test_correction_delete_of_a_kept_field_is_refused() -> None:
    items = Items()
    items.add("customers", "1", "account_no")
    part = plan_for(
        SYSTEM,
        Outcome.CORRECTION_MADE,
        items.items,
        changes=[{"field": "customer_number", "action": "delete"}],
    )
    assert part.plan.changes == ()
    assert part.refused == (Refusal("customers", "account_no", TAX_REASON),)


def test_correction_add_changes_nothing_in_the_system() -> None:
    items = Items()
    items.add("customers", "1", "phone")
    part = plan_for(
        SYSTEM,
        Outcome.CORRECTION_MADE,
        items.items,
        changes=[{"field": "phone", "action": "add", "new_value": "+81 90 2222"}],
    )
    assert part == SystemPart()


def test_correction_refused_by_the_map_is_a_refusal() -> None:
    items = Items()
    items.add("customers", "1", "account_no")
    items.add("customers", "1", "phone")
    part = plan_for(
        SYSTEM,
        Outcome.CORRECTION_MADE,
        items.items,
        changes=[_correct("customer_number", "C-999"), _correct("phone", "+81 90 3333")],
    )
    assert part.plan.changes == (_rc("customers", "1", Change.UPDATE, "phone", "+81 90 3333"),)
    assert part.refused == (Refusal("customers", "account_no", TAX_REASON),)


def test_correction_deletes_rows_last_and_children_first_across_its_changes() -> None:
    """The plan's order holds for the whole correction, not for each change alone: a
    customer's row deleted by the first change goes after the order reached through it
    (deleted by the second), and after the field changed by the third. In the opposite
    order a foreign key refuses the parent's deletion, or the update hits a deleted row."""
    items = Items()
    items.add("customers", "1", "source")  # delete_row
    items.add("orders", "10", "address")  # delete_row, reached through customer 1
    items.add("customers", "2", "phone")
    part = plan_for(
        SYSTEM,
        Outcome.CORRECTION_MADE,
        items.items,
        changes=[
            {"field": "source", "action": "delete"},
            {"field": "address", "action": "delete"},
            _correct("phone", "+81 90 4444"),
        ],
    )
    assert part.plan.changes == (
        _rc("customers", "2", Change.UPDATE, "phone", "+81 90 4444"),
        _rc("orders", "10", Change.DELETE_ROW),
        _rc("customers", "1", Change.DELETE_ROW),
    )


# Other outcomes --------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", sorted(set(Outcome) - ACTING))
def test_other_outcomes_change_nothing_in_the_system(outcome: Outcome) -> None:
    items = Items()
    ids = [items.add("customers", "1", "phone"), items.add("orders", "10", "address")]
    part = plan_for(
        SYSTEM,
        outcome,
        items.items,
        in_breach=frozenset(ids),
        changes=[_correct("phone", "+81 90 5555")],
    )
    assert part == SystemPart()
    assert part.plan.changes == ()
    assert part.refused_text() == ""


def test_the_acting_outcomes() -> None:
    assert frozenset({Outcome.ERASED, Outcome.USE_SUSPENDED, Outcome.CORRECTION_MADE}) == ACTING


# Plan.counts() ---------------------------------------------------------------------------


def test_counts_are_rows_changed_per_collection() -> None:
    plan = Plan(
        (
            _rc("orders", "10", Change.SET_NULL, "contact_phone"),
            _rc("customers", "1", Change.SET_NULL, "phone"),
            _rc("customers", "1", Change.MASK, "email"),
            _rc("orders", "11", Change.DELETE_ROW),
            _rc("orders", "10", Change.DELETE_ROW),
            _rc("consents", "5", Change.FLAG),
        )
    )
    counts = plan.counts()
    assert counts == {"consents": 1, "customers": 1, "orders": 2}
    assert list(counts) == ["consents", "customers", "orders"]


def test_counts_of_an_empty_plan() -> None:
    assert Plan().counts() == {}


def test_counts_carry_no_values() -> None:
    plan = Plan((_rc("customers", "1", Change.UPDATE, "phone", "+81 90 6666"),))
    assert plan.counts() == {"customers": 1}
    assert "+81" not in repr(plan.counts())

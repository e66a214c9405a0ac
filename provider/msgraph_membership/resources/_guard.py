"""The guard against mass removal, shared by `GroupMembers`, `AdministrativeUnitMembers` and
`MemberOf`.

Two arguments, both optional:

- a protected list (`protected_member_ids`, `protected_group_ids` on `MemberOf`): ids this
  resource never removes, not on update, not under `authoritative=True`, not on destroy;
- `max_removals`: a run that would remove more than this many fails before any write, at preview
  when the inputs are known, and again at apply from the directory's actual state.

Only pure functions live here; the resources decide what "would remove" means for them.
"""
from __future__ import annotations

from typing import Any, Iterable

from ._base import is_unknown
from ._converge import short_list

MAX_REMOVALS = "max_removals"
SHOWN = 5  # ids named in a refusal; the count is always given in full


def check_max_removals(value: Any) -> tuple[Any, str | None]:
    """A non-negative whole number, or None (no limit). Numbers reach a dynamic provider as
    floats (Pulumi's wire format has one number type), so 5.0 is 5."""
    if value is None or is_unknown(value):
        return value, None
    if isinstance(value, bool):
        return value, f"must be a whole number of members (0 or more), got {value!r}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        return value, f"must be a whole number of members (0 or more), got {value!r}"
    if value < 0:
        return value, f"must be 0 or more, got {value}"
    return value, None


def unprotected(ids: Iterable[str], protected: Iterable[str]) -> list[str]:
    """`ids` without the protected ones, sorted."""
    return sorted(set(ids) - set(protected))


def too_many(removals: Iterable[str], max_removals: int | None, *, where: str, noun: str = "member",
             protected_arg: str = "protected_member_ids", list_arg: str = "member_ids") -> str | None:
    """The refusal when `removals` exceeds `max_removals`, naming how many and the first few."""
    removals = sorted(set(removals))
    if max_removals is None or len(removals) <= max_removals:
        return None
    return (f"this run would remove {len(removals)} {noun}(s) from {where}, more than max_removals={max_removals}: "
            f"{short_list(removals, SHOWN)}. If that is intended, raise max_removals; otherwise put them back in "
            f"{list_arg} or list them in {protected_arg}")

"""The guard against mass removal, shared by `GroupMembers`, `AdministrativeUnitMembers` and
`MemberOf`.

Two arguments, both optional:

- a protected list (`protected_member_ids`, `protected_group_ids` on `MemberOf`): ids this
  resource never removes, not on update, not under `authoritative=True`, not on destroy or
  replacement;
- `max_removals`: a run that would remove more than this many fails before any write: an update
  or a replacement at preview when the inputs are known, and again at apply from the directory's
  actual state; a delete (destroy, or the resource dropped from the program) at apply, held to
  the guard it was last deployed with, since a delete sees nothing else.

Only pure functions live here; the resources decide what "would remove" means for them, and
every one of their removals passes `refusal` (_batch.py).
"""
from __future__ import annotations

from typing import Any, Iterable

from ._base import check_guid_list, has_unknown, is_unknown
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


def limit(guard: dict) -> int | None:
    """The max_removals in `guard` (checked inputs, or outputs, where it may read 5.0), or None."""
    value, problem = check_max_removals(guard.get(MAX_REMOVALS))
    return None if problem or is_unknown(value) else value


def unprotected(ids: Iterable[str], protected: Iterable[str]) -> list[str]:
    """`ids` without the protected ones, sorted."""
    return sorted(set(ids) - set(protected))


# What each kind of run that removes says to change, when it would remove too many.
FIX_UPDATE = "If that is intended, raise max_removals; otherwise put them back in {list_arg} or list them in {protected_arg}"
# A delete sees only what the last deployment recorded (Pulumi passes a delete nothing of the
# program), so the limit in force is the one last deployed, as with Pulumi's own `protect`.
FIX_DELETE = ("Nothing was changed. A delete is held to the max_removals the resource was last deployed with: to "
              "remove them, raise or unset max_removals and run `pulumi up` first; to leave them in place, set the "
              "resource option retain_on_delete=True and run `pulumi up` first (or `pulumi state delete` the resource)")
FIX_REPLACE = ("The old resource's delete is held to the max_removals it was last deployed with: to remove them, "
               "raise or unset max_removals and run `pulumi up` before changing {anchor_arg}; to leave them in place, "
               "`pulumi state delete` the resource first (the new one is then created, the old memberships stay)")


def refusal(removals: Iterable[str], protected: Iterable[str], max_removals: int | None, *, who: str, action: str,
            where: str, fix: str, noun: str = "member") -> str | None:
    """The refusal when `removals` (protected ones left out) exceed `max_removals`, naming the
    resource (`who`), what it is doing (`action`), how many, the first few, and what to change.

    The one test every removal passes: the preview's (check) and the apply's (create, update,
    delete) alike."""
    removals = unprotected(removals, protected)
    if max_removals is None or len(removals) <= max_removals:
        return None
    return (f"{who}: {action} would remove {len(removals)} {noun}(s) from {where}, more than "
            f"max_removals={max_removals}: {short_list(removals, SHOWN)}. {fix}")


def check_guard_args(news: dict, inputs: dict, protected: str, what: str) -> list[tuple[str, str]]:
    """Validate the protected list (named `protected`, of `what`) and `max_removals` from `news`
    into `inputs`, each left out when not given; returns the problems, naming the argument."""
    problems: list[tuple[str, str]] = []
    raw = news.get(protected)
    if has_unknown(raw):
        inputs[protected] = raw
    elif raw is not None:
        value, ps = check_guid_list(raw, what)
        problems += [(protected, p) for p in ps]
        if value:
            inputs[protected] = value
    value, p = check_max_removals(news.get(MAX_REMOVALS))
    if p:
        problems.append((MAX_REMOVALS, p))
    if value is not None:
        inputs[MAX_REMOVALS] = value
    return problems


def guard_outputs(props: dict, protected: str) -> dict:
    """The guard arguments as given (left out when not set), for outputs and refreshed inputs."""
    return {k: props[k] for k in (protected, MAX_REMOVALS) if props.get(k) is not None}

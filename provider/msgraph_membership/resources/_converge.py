"""Converging a managed set of links (members of a group or unit, groups of a member) from the
directory's actual state: the plan and the messages of the batch resources (_batch.py).

Plans are computed from what Graph lists now, not from what the last apply recorded, so an
apply that stopped halfway converges on the next `pulumi up` with no manual step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from ..graph import errors as E
from ..graph.rules import short_list  # noqa: F401  (the resources' messages take it from here)


@dataclass(frozen=True)
class Plan:
    """What to write: `to_add`, `to_remove` (sorted), and which desired ids were already there
    before this resource managed them (`adopted`)."""

    to_add: list[str]
    to_remove: list[str]
    adopted: set[str]


def plan(current: Iterable[str], desired: Iterable[str], *, managed_before: Iterable[str] = (),
         adopted_before: Iterable[str] = (), authoritative: bool = False) -> Plan:
    """Example: current {a, b, x}, desired [a, c], managed before {a, b}, not authoritative ->
    add [c], remove [b] (x is not ours), adopted {} (a was ours already, not adopted now).

    With `authoritative`, everything present and not desired is removed (x too)."""
    current, desired = set(current), set(desired)
    managed_before, adopted_before = set(managed_before), set(adopted_before)
    to_add = sorted(desired - current)
    to_remove = sorted(current - desired) if authoritative else sorted((managed_before - desired) & current)
    # Adopted: present before we first managed it. Kept while still desired.
    adopted = (adopted_before & desired) | ((desired - managed_before) & current)
    return Plan(to_add, to_remove, adopted)


def describe_failures(subject: str, failed: Mapping[str, E.GraphError], verb: str, *, noun: str = "member",
                      hint: str | None = None) -> str:
    """One message for the per-item failures of a batch write, after the rest was done.

    Example: "administrative unit 1234: 2 member(s) could not be added; the others were: ..."."""
    lines = [f"{subject}: {len(failed)} {noun}(s) could not be {verb}; the others were:"]
    for key, err in sorted(failed.items())[:50]:
        lines.append(f"  {key}: {err.graph_message or err}")
    if len(failed) > 50:
        lines.append(f"  ... and {len(failed) - 50} more")
    if hint and any(isinstance(e, E.Forbidden) for e in failed.values()):
        lines.append(f"Permission denied: {hint}.")
    lines.append(f"Fix or remove these {noun} ids and run again; what was done is kept.")
    return "\n".join(lines)

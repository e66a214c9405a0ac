"""References by name in a resource's arguments, resolved in `check`.

A resource lists which arguments take directory objects and what kinds (`ReferenceArg`). Before
its own GUID checks, `check` replaces every reference (graph/references.py) by the object id it
resolves to, in one batched lookup for all arguments, and keeps `references` (written -> object
id) in the checked inputs and the outputs: the state holds what the user wrote and what it meant,
while ids, outputs and diffs stay on object ids. A reference that matches nothing or several
objects fails the preview naming the argument and the reference (and, for several, the
candidates). Anything that is not a reference is left for the GUID check to judge.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..graph import errors as E
from ..graph.references import Reference, kind_problem, parse_reference
from ._base import MembershipProvider, graph_message, is_unknown

REFERENCES = "references"  # the output: written -> object id
# ... and the checked input: internal (a leading "__"), so the engine's summary of what changed
# (`[diff: ~group_id]`) names the arguments the program changed, never this map (states written
# before it was internal carry it as `references`, still read).
INPUT_REFERENCES = "__references"
SHOW_CANDIDATES = 10


@dataclass(frozen=True)
class ReferenceArg:
    name: str              # "member_ids"
    kinds: frozenset[str]  # what it may name (graph/references.py)
    many: bool = False     # a list


def resolve_arguments(provider: MembershipProvider, olds: dict, news: dict,
                      args: tuple[ReferenceArg, ...]) -> tuple[dict, dict[str, str], list[tuple[str, str]]]:
    """(news with references replaced by object ids, references map, problems).

    Costs no Graph call when no argument holds a reference."""
    found: list[tuple[ReferenceArg, int | None, Reference]] = []
    problems: list[tuple[str, str]] = []
    for a in args:
        value = news.get(a.name)
        if is_unknown(value):
            continue
        items = list(enumerate(value)) if a.many and isinstance(value, (list, tuple)) else \
            [(None, value)] if not a.many else []
        for i, item in items:
            if is_unknown(item):
                continue
            try:
                ref = parse_reference(item)
            except ValueError as e:
                problems.append((a.name, f"{_at(i)}{e}"))
                continue
            if ref is None:
                continue
            p = kind_problem(ref, a.kinds, a.name)
            if p:
                problems.append((a.name, f"{_at(i)}{p}"))
            else:
                found.append((a, i, ref))
    if problems or not found:
        return news, {}, problems

    from ..graph.lookup import LookupRefused, resolve

    try:
        matches = resolve(provider.client, [r for _, _, r in found])
    except LookupRefused as e:
        arg = next(a.name for a, _, r in found if r.key == e.ref.key)
        return news, {}, [(arg, str(e))]
    except E.GraphError as e:
        return news, {}, [("provider", f"could not look up references by name: {graph_message(e)}")]

    before = olds.get(INPUT_REFERENCES) or olds.get(REFERENCES) or {}
    out = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in news.items()}
    references: dict[str, str] = {}
    for a, i, ref in found:
        m = matches.get(ref.key, ())
        if len(m) == 1:
            references[ref.written] = m[0].id
            if i is None:
                out[a.name] = m[0].id
            else:
                out[a.name][i] = m[0].id
        elif not m:
            was = before.get(ref.written)
            extra = (f"; it resolved to {was} before: was it renamed or deleted? Write its new name or the object id"
                     if was else "; check the spelling, or give the object id")
            problems.append((a.name, f"{_at(i)}{ref.written!r} matches no object: no {ref.describe()[4:]}{extra}"))
        else:
            shown = "; ".join(x.describe() for x in m[:SHOW_CANDIDATES])
            more = f"; and {len(m) - SHOW_CANDIDATES} more" if len(m) > SHOW_CANDIDATES else ""
            problems.append((a.name, f"{_at(i)}{ref.written!r} is ambiguous: {len(m)} objects are {ref.describe()[4:]}: "
                                     f"{shown}{more}. Give the object id of the one you mean"))
    return out, references, problems


def _at(i: int | None) -> str:
    return "" if i is None else f"[{i}] "


def with_references(outs: dict, props: dict) -> dict:
    """`outs` plus the references map from `props` when there is one."""
    refs: Any = props.get(REFERENCES)
    return {**outs, REFERENCES: refs} if refs else outs


def carry(result, props: dict):
    """A Create/Update/ReadResult with the references map of `props` (checked inputs or outputs)
    added to its outputs (and, for a read, to its inputs), so a refresh keeps what the user wrote."""
    refs = props.get(INPUT_REFERENCES) or props.get(REFERENCES)
    if refs and getattr(result, "outs", None) is not None:
        result.outs = {**result.outs, REFERENCES: refs}
        if getattr(result, "inputs", None) is not None:
            result.inputs = {**result.inputs, INPUT_REFERENCES: refs}
    return result

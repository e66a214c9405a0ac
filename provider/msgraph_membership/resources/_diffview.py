"""How a batch resource's list shows in `pulumi preview --diff`: as a map of ids beside the list,
whose own diff is hidden (the engine diffs lists index by index). Used by _batch.py.
"""
from __future__ import annotations

import pulumi

DIFF_KEY = "members"  # the checked input that `pulumi preview --diff` shows instead of member_ids
# (GroupOwners: "owners" instead of owner_ids)


def id_set(ids) -> dict[str, str]:
    """Member ids as a map of id -> "", the form `pulumi preview --diff` shows readably.

    The engine shows `preview --diff` from the old and new inputs (a Python dynamic provider
    cannot return a detailed diff). It compares lists index by index, so one id removed near the
    start of a sorted list of 1,000 shows as 1,000 changed lines; in a map it shows the ids added
    and removed, and it leaves out unchanged entries whose value is empty. So the checked inputs
    carry this map beside `member_ids`, whose own diff the resource hides (`hide_diffs`)."""
    return {i: "" for i in sorted(ids)}


def hide_list_diff(opts: "pulumi.ResourceOptions | None", list_arg: str = "member_ids") -> "pulumi.ResourceOptions | None":
    """The resource's options with the list's own diff hidden (the `members` or `owners` map shows it)."""
    try:
        hidden = pulumi.ResourceOptions(hide_diffs=[list_arg])
    except TypeError:  # a Pulumi SDK older than the hide_diffs option: the list diff shows too
        return opts
    return pulumi.ResourceOptions.merge(opts, hidden)

"""The syntax of references by name: how an argument that takes a directory object can name it.

| written                    | means                                            |
|----------------------------|--------------------------------------------------|
| a GUID                     | that object id                                   |
| `alice@contoso.com`        | the user whose userPrincipalName it is           |
| `user:alice@contoso.com`   | the same, written out                            |
| `mail:alice@contoso.com`   | the user whose mail it is                        |
| `group:Developers`         | the group with that displayName                  |
| `nickname:devs`            | the group with that mailNickname                 |
| `app:<application id>`     | the service principal of that appId              |
| `sp:Build pipeline`        | the service principal with that displayName      |
| `device:LAPTOP-0042`       | the device with that displayName                 |
| `unit:Paris`               | the administrative unit with that displayName    |

Prefixes are lower case; everything after the first colon is the value, verbatim (so a display
name may itself hold colons). Comparisons in the directory ignore case. A reference must match
exactly one object. Pure functions only: this module loads in programs as well as in the provider.
"""
from __future__ import annotations

from dataclasses import dataclass

from .rules import is_guid

USER, GROUP, SP, DEVICE, UNIT = "user", "group", "servicePrincipal", "device", "administrativeUnit"

# prefix -> (kind, property)
PREFIXES: dict[str, tuple[str, str]] = {
    "user": (USER, "userPrincipalName"),
    "mail": (USER, "mail"),
    "group": (GROUP, "displayName"),
    "nickname": (GROUP, "mailNickname"),
    "app": (SP, "appId"),
    "sp": (SP, "displayName"),
    "device": (DEVICE, "displayName"),
    "unit": (UNIT, "displayName"),
}
KIND_NOUN = {USER: "user", GROUP: "group", SP: "service principal", DEVICE: "device", UNIT: "administrative unit"}

# What each kind of argument may name (the member kinds Graph takes in each container).
GROUP_MEMBER_KINDS = frozenset({USER, GROUP, SP, DEVICE})
UNIT_MEMBER_KINDS = frozenset({USER, GROUP, DEVICE})
GROUP_KINDS = frozenset({GROUP})
UNIT_KINDS = frozenset({UNIT})
MEMBER_OF_KINDS = GROUP_MEMBER_KINDS
OWNER_KINDS = frozenset({USER, SP})  # a group's owners (https://learn.microsoft.com/graph/api/group-post-owners)

@dataclass(frozen=True)
class Reference:
    """A directory object named by one property: `kind` with `prop` equal to `value`."""

    written: str
    kind: str
    prop: str
    value: str

    def describe(self) -> str:
        """E.g. "the user with userPrincipalName 'alice@contoso.com'"."""
        return f"the {KIND_NOUN[self.kind]} with {self.prop} {self.value!r}"

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies the lookup: the same name written twice is looked up once."""
        return (self.kind, self.prop, self.value.lower())


def parse_reference(text: str) -> Reference | None:
    """The Reference `text` writes, or None when it is not a reference (a GUID, or anything
    else: the caller's GUID check then names the argument).

    Raises ValueError for a prefix with an empty or malformed value (`app:` needs a GUID)."""
    if not isinstance(text, str):
        return None
    t = text.strip()
    if not t or is_guid(t.lower()):
        return None
    prefix, sep, value = t.partition(":")
    if sep and prefix in PREFIXES:
        kind, prop = PREFIXES[prefix]
        value = value.strip()
        if not value:
            raise ValueError(f"{text!r} names no {KIND_NOUN[kind]}: write a value after '{prefix}:'")
        if prop == "appId" and not is_guid(value.lower()):
            raise ValueError(f"{text!r}: an application id is a GUID; for a service principal by name write sp:<display name>")
        return Reference(text, kind, prop, value.lower() if prop == "appId" else value)
    if "@" in t and not sep and " " not in t:
        return Reference(text, USER, "userPrincipalName", t)
    return None


def kind_problem(ref: Reference, allowed: frozenset[str], arg: str) -> str | None:
    """Why `arg` cannot take what `ref` names, or None."""
    if ref.kind in allowed:
        return None
    takes = ", ".join(sorted(KIND_NOUN[k] + "s" for k in allowed))
    noun = KIND_NOUN[ref.kind]
    return f"{ref.written!r} names {'an' if noun[0] in 'aeio' else 'a'} {noun}; {arg} takes {takes}"

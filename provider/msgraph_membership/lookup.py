"""Object ids for names, in a Pulumi program: the counterpart of azuread's data sources
(`get_users(user_principal_names=...)`, `get_group(display_name=...)`,
`get_service_principal(client_id=...)`) for the references this package understands.

Example::

    import msgraph_membership as mm

    ids = mm.get_object_ids(["alice@contoso.com", "group:Developers", "app:7d3c...-..."])
    pulumi.export("alice", ids["alice@contoso.com"])
    some_azure_role_assignment(principal_id=ids["group:Developers"], ...)

The resources take the same references directly (resolved at preview); this function is for
passing ids to other resources. It runs in the program's process when the program runs (at
preview and at up), signs in with the same settings as the resources (`msgraph:*` stack config,
then the environment, then `azuread:*`), and asks Graph in the same batches.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Mapping, Optional, Union

if TYPE_CHECKING:
    from .resources._inputs import SequenceNotStr

SettingsSource = Union[Mapping[str, str], Callable[[str], Optional[str]], None]  # where settings come from


class ReferenceNotResolved(LookupError):
    """A reference that matched no object or several, or that is not a reference at all."""


def _stack_config(key: str) -> Optional[str]:
    """`msgraph:tenantId`-style keys from the running stack's config; None outside a program."""
    import pulumi

    namespace, _, name = key.partition(":")
    try:
        return pulumi.Config(namespace).get(name)
    except Exception:  # noqa: BLE001 - not inside a Pulumi program: the environment alone decides
        return None


def get_object_ids(references: SequenceNotStr[str], *, config: SettingsSource = None) -> dict[str, str]:
    """{reference as written: object id} for every reference: a GUID stays itself (lower case),
    a name is looked up (docs/resources.md, references by name, has the syntax).

    `config` overrides where settings come from (a mapping of `msgraph:*` keys, or a getter);
    by default the stack's config and the environment. Raises ReferenceNotResolved listing every
    reference that matched nothing or several objects (with the candidates' ids and kinds)."""
    from .graph.client import client_for
    from .graph.lookup import LookupRefused, resolve
    from .graph.references import parse_reference
    from .graph.rules import is_guid
    from .graph.settings import resolve_settings

    out: dict[str, str] = {}
    refs, problems = [], []
    for written in references:
        if isinstance(written, str) and is_guid(written.strip().lower()):
            out[written] = written.strip().lower()
            continue
        try:
            ref = parse_reference(written)
        except ValueError as e:
            problems.append(str(e))
            continue
        if ref is None:
            problems.append(f"{written!r} is neither an object id (GUID) nor a reference by name")
        else:
            refs.append(ref)
    if refs and not problems:
        client = client_for(resolve_settings(config if config is not None else _stack_config))
        try:
            found = resolve(client, refs)
        except LookupRefused as e:
            raise ReferenceNotResolved(str(e)) from None
        for ref in refs:
            matches = found.get(ref.key, ())
            if len(matches) == 1:
                out[ref.written] = matches[0].id
            elif not matches:
                problems.append(f"{ref.written!r} matches no object: no {ref.describe()[4:]}")
            else:
                problems.append(f"{ref.written!r} is ambiguous: " + "; ".join(m.describe() for m in matches))
    if problems:
        raise ReferenceNotResolved("; ".join(problems))
    return out


def get_object_id(reference: str, *, config: SettingsSource = None) -> str:
    """The object id of one reference (see get_object_ids)."""
    return get_object_ids([reference], config=config)[reference]

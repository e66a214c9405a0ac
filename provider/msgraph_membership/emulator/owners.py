"""The rules of a group's owners, part of the directory model (docs/graph-behaviour.md §1.9);
links.py applies them to every owner write (`$ref`, `owners@odata.bind`, `$batch`).

- Who may change them: `Group.ReadWrite.All` or `Directory.ReadWrite.All` (rules.py
  ``group.owners.add``/``remove``, from group-post-owners and group-delete-owners), and for a
  role-assignable group `RoleManagement.ReadWrite.Directory` as well, as for its members
  (**emulator choice**: the owner pages do not say; the provider checks the same).
- Which groups have owners in Graph: not groups created in Exchange, distribution groups or groups
  synchronised from on-premises (https://learn.microsoft.com/graph/api/group-list-owners); a write
  to their owners answers 403 (**emulator choice**: the answer is not documented).
- What may own a group: users and service principals
  (https://learn.microsoft.com/graph/api/group-post-owners; rules.py ``member_type_allowed``).
- Once a group has owners, its last owner cannot be removed
  (https://learn.microsoft.com/graph/api/group-delete-owners): 400 ``Request_BadRequest`` with the
  observed message (errors.py ``LAST_OWNER``), whatever the owner's type (**emulator choice**).
"""

from __future__ import annotations

from . import errors, rules


def check_owners_writable(group: dict, roles) -> None:
    """The 403s for owner changes: a group whose owners Graph does not manage, or a role-assignable
    group without the role permission."""
    if rules.is_read_only(group) or (group.get("isAssignableToRole") and rules.ROLE_MANAGEMENT not in roles):
        raise errors.denied()


def check_not_last_owner(owner_count: int) -> None:
    """A removal that would take the group's owners from one to none is refused."""
    if owner_count <= 1:
        raise errors.bad_request(errors.LAST_OWNER)

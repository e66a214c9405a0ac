"""Pulumi dynamic resources for Microsoft Entra ID memberships, through Microsoft Graph.

    from msgraph_membership import GroupMember, GroupMembers, MemberOf
    from msgraph_membership import (AdministrativeUnitMember, AdministrativeUnitMembers,
                                    AdministrativeUnitGroup)
    from msgraph_membership import GroupOwner, GroupOwners

Every resource is a `pulumi.dynamic.Resource`; see each class for its arguments and outputs.
`get_object_ids` / `get_object_id` turn names (alice@contoso.com, group:Developers, ...) into
object ids for other resources, like azuread's data sources. `__version__` is the installed
version. The package is typed (py.typed): arguments are `pulumi.Input[...]`, outputs `pulumi.Output[...]`.
"""
from .resources.group_member import GroupMember
from .resources.group_members import GroupMembers
from .resources.administrative_unit_member import AdministrativeUnitMember
from .resources.administrative_unit_members import AdministrativeUnitMembers
from .resources.administrative_unit_group import AdministrativeUnitGroup
from .resources.member_of import MemberOf
from .resources.group_owner import GroupOwner
from .resources.group_owners import GroupOwners
from .lookup import ReferenceNotResolved as ReferenceNotResolved  # "as": re-exported for type checkers
from .lookup import get_object_id as get_object_id, get_object_ids as get_object_ids
from ._version import __version__ as __version__

__all__ = ["GroupMember", "GroupMembers", "AdministrativeUnitMember", "AdministrativeUnitMembers",
           "AdministrativeUnitGroup", "MemberOf"]  # the resources; the lookup functions are imported by name
__all__ += ["GroupOwner", "GroupOwners"]  # a group's owners

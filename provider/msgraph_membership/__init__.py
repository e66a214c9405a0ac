"""Pulumi dynamic resources for Microsoft Entra ID memberships, through Microsoft Graph.

    from msgraph_membership import GroupMember, GroupMembers

Every resource is a `pulumi.dynamic.Resource`; see each class for its arguments and outputs.
"""
from .resources.group_member import GroupMember
from .resources.group_members import GroupMembers

__all__ = ["GroupMember", "GroupMembers"]

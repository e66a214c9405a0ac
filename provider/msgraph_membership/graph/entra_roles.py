"""The built-in Microsoft Entra roles that decide what a signed-in person may change, by their
template ids (what ``unifiedRoleAssignment.roleDefinitionId`` names), and their display names.
Read by the provider's preview checks (delegated.py); the emulator keeps its own copy
(emulator/roles.py), as an oracle independent of the provider.
Source: https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
"""

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
DIRECTORY_WRITERS = "9360feb5-f418-4baa-8175-e2a00bac4301"
IDENTITY_GOVERNANCE_ADMIN = "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e"
INTUNE_ADMIN = "3a2c62db-5318-420d-8d74-23affee5d9d5"
# The service administrators that change Microsoft 365 groups' members only.
M365_ADMINS = {"29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
               "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
               "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
               "810a2642-a034-447f-a5e8-41beaa378541": "Yammer Administrator"}
NAMES = {GLOBAL_ADMIN: "Global Administrator", PRIVILEGED_ROLE_ADMIN: "Privileged Role Administrator",
         GROUPS_ADMIN: "Groups Administrator", USER_ADMIN: "User Administrator",
         DIRECTORY_WRITERS: "Directory Writers", IDENTITY_GOVERNANCE_ADMIN: "Identity Governance Administrator",
         INTUNE_ADMIN: "Intune Administrator", **M365_ADMINS}

# Who changes a group's members (https://learn.microsoft.com/graph/api/group-post-members), by kind.
GROUP_MEMBERS_ANY = (GROUPS_ADMIN, DIRECTORY_WRITERS, USER_ADMIN, IDENTITY_GOVERNANCE_ADMIN, GLOBAL_ADMIN)
ROLE_ASSIGNABLE = (PRIVILEGED_ROLE_ADMIN, GLOBAL_ADMIN)
UNIT_MEMBERS = (PRIVILEGED_ROLE_ADMIN, GLOBAL_ADMIN)
GROUP_IN_UNIT = (GROUPS_ADMIN, USER_ADMIN, GLOBAL_ADMIN)
TENANT = "/"


def unit_scope(unit_id: str) -> str:
    return f"/administrativeUnits/{unit_id}"


def group_member_roles(*, role_assignable: bool, unified: bool, security: bool) -> tuple[str, ...]:
    """The roles that change a group's members, least privileged first."""
    if role_assignable:
        return ROLE_ASSIGNABLE
    return GROUP_MEMBERS_ANY + (tuple(M365_ADMINS) if unified else (INTUNE_ADMIN,) if security else ())


# The roles an administrative unit's scope takes ("Roles that can be assigned with administrative
# unit scope", https://learn.microsoft.com/entra/identity/role-based-access-control/admin-units-assign-roles),
# by template id (permissions-reference). Custom roles, which the page also allows, are not offered.
UNIT_SCOPE_ROLES = {"c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
                    "7698a772-787b-4ac8-901f-60d6b08affd2": "Cloud Device Administrator",
                    GROUPS_ADMIN: "Groups Administrator",
                    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
                    "4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
                    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
                    "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f": "Printer Administrator",
                    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
                    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
                    "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
                    "3d762c5a-1b6c-493f-843e-55a3b42923d4": "Teams Devices Administrator",
                    USER_ADMIN: "User Administrator"}
ROLE_ASSIGNERS = (PRIVILEGED_ROLE_ADMIN, GLOBAL_ADMIN)  # who assigns roles, signed in as a person


def unit_scope_role(value: str) -> str | None:
    """The template id of a role an administrative unit's scope takes, named by its template id
    or display name (any case); None for any other role."""
    v = value.strip().lower()
    return next((t for t, name in UNIT_SCOPE_ROLES.items() if v in (t, name.lower())), None)

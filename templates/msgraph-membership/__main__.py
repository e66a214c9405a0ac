"""Who is in which Entra ID group, in the same `pulumi up` as the rest of your cloud.

Every argument that takes a directory object takes an object id or a name: a user's sign-in name
(alice@contoso.test), or `group:`, `nickname:`, `mail:`, `app:`, `sp:`, `device:`, `unit:` followed
by the name. Names are resolved at preview.

The defaults name the local Graph emulator's directory (seed.yaml). Against a real tenant, set
yours: `pulumi config set group "group:Developers"`, `pulumi config set --path 'members[0]' alice@contoso.com`.
"""
import pulumi

from msgraph_membership import GroupMember, GroupMembers

cfg = pulumi.Config()
group = cfg.get("group") or "group:Developers"
members: list[str] = cfg.get_object("members") or ["alice@contoso.test", "bob@contoso.test"]
admins = cfg.get("adminsGroup") or "group:Platform admins"
admin = cfg.get("admin") or "carol@contoso.test"

# Many members of one group, written in batches; members already there are adopted. The guard:
# a run that would remove more than 5 members fails at preview.
developers = GroupMembers("developers", group_id=group, member_ids=members, max_removals=5)

# One membership, like azuread.GroupMember.
platform_admin = GroupMember("platform-admin", group_id=admins, member_id=admin)

pulumi.export("developers", developers.member_ids)
pulumi.export("platform_admin_adopted", platform_admin.adopted)

"""Quick start: who is in which group, in the same `pulumi up` as the rest of your cloud.

By default every id below belongs to the local Graph emulator's quick-start directory
(examples/quickstart/seed.yaml). Against a real tenant, set them as stack config, e.g.
`pulumi config set developersGroupId <object id>`, and sign in as in the README.
"""
import pulumi

from msgraph_membership import GroupMember, GroupMembers

cfg = pulumi.Config()

alice = cfg.get("aliceId") or "0a000001-0000-4000-8000-000000000001"
bob = cfg.get("bobId") or "0a000001-0000-4000-8000-000000000002"
carol = cfg.get("carolId") or "0a000001-0000-4000-8000-000000000003"
pipeline = cfg.get("pipelineSpId") or "0a000003-0000-4000-8000-000000000001"
platform_admins = cfg.get("platformAdminsGroupId") or "0b000001-0000-4000-8000-000000000001"
developers = cfg.get("developersGroupId") or "0b000001-0000-4000-8000-000000000002"

# One membership per resource, like azuread.GroupMember; an existing one is adopted, not an error.
alice_admin = GroupMember("alice-platform-admin", group_id=platform_admins, member_id=alice)

# Many memberships of one group, written 20 per request.
devs = GroupMembers("developers", group_id=developers, member_ids=[alice, bob, carol, pipeline])

pulumi.export("alice_admin_adopted", alice_admin.adopted)
pulumi.export("developers", devs.member_ids)

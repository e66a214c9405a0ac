"""Quick start: who is in which group or administrative unit, in the same `pulumi up` as the rest
of your cloud. One of each kind of membership resource.

By default every id below belongs to the local Graph emulator's quick-start directory
(examples/quickstart/seed.yaml). Against a real tenant, set them as stack config, e.g.
`pulumi config set developersGroupId <object id>`, and sign in as in the README.
"""
import pulumi

from msgraph_membership import (AdministrativeUnitMember, AdministrativeUnitMembers, GroupMember, GroupMembers,
                                MemberOf)

cfg = pulumi.Config()

alice = cfg.get("aliceId") or "0a000001-0000-4000-8000-000000000001"
bob = cfg.get("bobId") or "0a000001-0000-4000-8000-000000000002"
carol = cfg.get("carolId") or "0a000001-0000-4000-8000-000000000003"
dave = cfg.get("daveId") or "0a000001-0000-4000-8000-000000000004"
pipeline = cfg.get("pipelineSpId") or "0a000003-0000-4000-8000-000000000001"
kiosk = cfg.get("kioskDeviceId") or "0a000004-0000-4000-8000-000000000001"
platform_admins = cfg.get("platformAdminsGroupId") or "0b000001-0000-4000-8000-000000000001"
developers = cfg.get("developersGroupId") or "0b000001-0000-4000-8000-000000000002"
paris = cfg.get("parisUnitId") or "0c000001-0000-4000-8000-000000000001"

# One membership per resource, like azuread.GroupMember; an existing one is adopted, not an error.
alice_admin = GroupMember("alice-platform-admin", group_id=platform_admins, member_id=alice)

# Many memberships of one group, written 20 per request.
devs = GroupMembers("developers", group_id=developers, member_ids=[alice, bob, carol, pipeline])

# One member's groups, listed from the member's side.
dave_groups = MemberOf("dave-groups", member_id=dave, group_ids=[developers, platform_admins])

# Administrative units: one member, and many.
kiosk_in_paris = AdministrativeUnitMember("paris-kiosk", administrative_unit_id=paris, member_id=kiosk)
paris_staff = AdministrativeUnitMembers("paris-staff", administrative_unit_id=paris, member_ids=[alice, bob])

pulumi.export("alice_admin_adopted", alice_admin.adopted)
pulumi.export("developers", devs.member_ids)
pulumi.export("dave_groups", dave_groups.group_ids)
pulumi.export("paris_staff", paris_staff.member_ids)

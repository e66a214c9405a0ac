"""Quick start: who is in which group or administrative unit, in the same `pulumi up` as the rest
of your cloud. One of each kind of membership resource, with members and groups written by name.

Every argument that takes a directory object takes an object id or a name: a user's sign-in name
(alice@contoso.test), or `group:`, `nickname:`, `mail:`, `app:`, `sp:`, `device:`, `unit:` followed
by the name (docs/resources.md, "References by name"). Names are resolved at preview; the state
keeps both what you wrote and the object id it meant.

By default every name below is in the local Graph emulator's quick-start directory
(examples/quickstart/seed.yaml). Against a real tenant, set yours as stack config, e.g.
`pulumi config set developersGroupId "group:Developers"` (an object id works too), and sign in as
in the README.
"""
import pulumi

from msgraph_membership import (AdministrativeUnitMember, AdministrativeUnitMembers, GroupMember, GroupMembers,
                                MemberOf)

cfg = pulumi.Config()

alice = cfg.get("aliceId") or "alice@contoso.test"
bob = cfg.get("bobId") or "bob@contoso.test"
carol = cfg.get("carolId") or "carol@contoso.test"
dave = cfg.get("daveId") or "dave@contoso.test"
pipeline = cfg.get("pipelineSpId") or "sp:build-pipeline"
kiosk = cfg.get("kioskDeviceId") or "device:kiosk-01"
platform_admins = cfg.get("platformAdminsGroupId") or "group:Platform admins"
developers = cfg.get("developersGroupId") or "nickname:developers"
paris = cfg.get("parisUnitId") or "unit:Paris"

# One membership per resource, like azuread.GroupMember; an existing one is adopted, not an error.
alice_admin = GroupMember("alice-platform-admin", group_id=platform_admins, member_id=alice)

# Many memberships of one group, written 20 per request. The guard against mass removal: a run
# that would remove more than 4 members fails before any write (an update at preview; a destroy,
# held to the limit last deployed, at apply), so `pulumi destroy` may remove these 4 and no list
# that grows by mistake can later be emptied in one go. protected_member_ids=[...] would also
# keep members this resource must never remove, even on destroy.
devs = GroupMembers("developers", group_id=developers, member_ids=[alice, bob, carol, pipeline], max_removals=4)

# One member's groups, listed from the member's side.
dave_groups = MemberOf("dave-groups", member_id=dave, group_ids=[developers, platform_admins])

# Administrative units: one member, and many.
kiosk_in_paris = AdministrativeUnitMember("paris-kiosk", administrative_unit_id=paris, member_id=kiosk)
paris_staff = AdministrativeUnitMembers("paris-staff", administrative_unit_id=paris, member_ids=[alice, bob])

pulumi.export("alice_admin_adopted", alice_admin.adopted)
pulumi.export("developers", devs.member_ids)
pulumi.export("dave_groups", dave_groups.group_ids)
pulumi.export("paris_staff", paris_staff.member_ids)

"""Bootstrap a regional team: a new group created inside an administrative unit, its members,
the unit's members, the new group nested in an existing one, and the group's owners.

The group's members and its MemberOf take the new group's id from its output, so `pulumi preview`
shows them with unknown inputs until the group exists, and `pulumi up` creates them in order.

By default the ids are the local Graph emulator's bootstrap directory (seed.yaml). Against a real
tenant, set them as stack config (`pulumi config set unitId <object id>`, and so on).
"""
import pulumi

from msgraph_membership import (AdministrativeUnitGroup, AdministrativeUnitMember, AdministrativeUnitMembers,
                                GroupMembers, MemberOf)
from msgraph_membership import GroupOwners

cfg = pulumi.Config()

lyon = cfg.get("unitId") or "0f000001-0000-4000-8000-000000000001"
regional_support = cfg.get("regionalSupportGroupId") or "0e000001-0000-4000-8000-000000000001"
eve = cfg.get("eveId") or "0d000001-0000-4000-8000-000000000001"
frank = cfg.get("frankId") or "0d000001-0000-4000-8000-000000000002"
grace = cfg.get("graceId") or "0d000001-0000-4000-8000-000000000003"
kiosk = cfg.get("kioskDeviceId") or "0d000004-0000-4000-8000-000000000001"

# A security group created inside the unit, so the unit's own administrators manage it.
helpdesk = AdministrativeUnitGroup("lyon-helpdesk",
                                   administrative_unit_id=lyon,
                                   display_name="Lyon helpdesk",
                                   mail_nickname="lyon-helpdesk",
                                   description="First-line support, Lyon office")

# Its members. `helpdesk.id` is the group's object id (the same value as its `group_id` output);
# a resource's id is known in every preview once the resource exists, so these dependents preview
# as what they are.
GroupMembers("lyon-helpdesk-members", group_id=helpdesk.id, member_ids=[eve, frank])

# The unit's members: the people, and a device.
AdministrativeUnitMembers("lyon-staff", administrative_unit_id=lyon, member_ids=[eve, frank, grace])
AdministrativeUnitMember("lyon-kiosk", administrative_unit_id=lyon, member_id=kiosk)

# The new group, nested in an existing group, seen from the member's side.
MemberOf("lyon-helpdesk-groups", member_id=helpdesk.id, group_ids=[regional_support])

# Who owns the new group: its owners may change it and its members when signed in as themselves.
# A destroy removes the owners before it deletes the group; Graph keeps a group's last owner, so
# that one stays (with a warning) and goes with the group.
GroupOwners("lyon-helpdesk-owners", group_id=helpdesk.id, owner_ids=[eve, grace])

pulumi.export("helpdesk_group_id", helpdesk.group_id)

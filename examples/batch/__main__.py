"""Batch: one group with a few hundred members in a single `GroupMembers` resource.

One resource writes its members 20 per request (`members@odata.bind`), instead of one resource
and one Graph call per membership; adding or removing a few members later changes only those.

By default the ids are the local Graph emulator's batch directory (seed.yaml, see batch_directory.py).
Against a real tenant, set them as stack config:

    pulumi config set groupId <group object id>
    pulumi config set --path 'memberIds[0]' <object id>     # ... or edit Pulumi.<stack>.yaml
"""
import pulumi

import batch_directory as directory
from msgraph_membership import GroupMembers

cfg = pulumi.Config()

group_id = cfg.get("groupId") or directory.GROUP_ID
member_ids = cfg.get_object("memberIds") or directory.user_ids(cfg.get_int("memberCount") or directory.USER_COUNT)

staff = GroupMembers("all-staff", group_id=group_id, member_ids=member_ids)

pulumi.export("member_count", staff.member_ids.apply(len))
pulumi.export("adopted_count", staff.adopted_member_ids.apply(len))

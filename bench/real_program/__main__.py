"""The program bench/real.py runs with the real `pulumi` for both Pulumi sides: pulumi-azuread v6
(`azuread.*` kinds) and ours. What it declares comes from spec.json beside it:
{"kind": ..., "group": id, "unit": id, "members": [ids]}."""
import json
from pathlib import Path

spec = json.loads((Path(__file__).parent / "spec.json").read_text())
kind, group, unit, members = spec["kind"], spec.get("group"), spec.get("unit"), spec.get("members", [])

if kind.startswith("azuread."):
    import pulumi_azuread as az

    if kind == "azuread.GroupMember":
        for i, m in enumerate(members):
            az.GroupMember(f"m{i}", group_object_id=group, member_object_id=m)
    elif kind == "azuread.Group":  # azuread's own batch route: the group and its members in one resource
        az.Group("big", display_name="Bench big group", security_enabled=True, members=members,
                 administrative_unit_ids=[unit] if unit else None)
    elif kind == "azuread.AdministrativeUnitMember":
        for i, m in enumerate(members):
            az.AdministrativeUnitMember(f"m{i}", administrative_unit_object_id=unit, member_object_id=m)
    else:
        raise ValueError(kind)
elif kind == "Nop":
    from nop_provider import Nop

    for i, m in enumerate(members):
        Nop(f"m{i}", group_id=group, member_id=m)
else:
    import msgraph_membership as M

    if kind == "GroupMember":
        for i, m in enumerate(members):
            M.GroupMember(f"m{i}", group_id=group, member_id=m)
    elif kind == "GroupMembers":
        M.GroupMembers("all", group_id=group, member_ids=members)
    elif kind == "AdministrativeUnitGroup+GroupMembers":
        g = M.AdministrativeUnitGroup("big", administrative_unit_id=unit, display_name="Bench big group",
                                      mail_nickname="bench-big")
        M.GroupMembers("all", group_id=g.id, member_ids=members)
    elif kind == "AdministrativeUnitMember":
        for i, m in enumerate(members):
            M.AdministrativeUnitMember(f"m{i}", administrative_unit_id=unit, member_id=m)
    elif kind == "AdministrativeUnitMembers":
        M.AdministrativeUnitMembers("all", administrative_unit_id=unit, member_ids=members)
    else:
        raise ValueError(kind)

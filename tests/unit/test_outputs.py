"""Program-side outputs: every documented output is readable on the resource object."""
from harness.program import collect


def test_administrative_unit_group_group_id_is_the_resource_id():
    """`group_id` follows `id`, which the engine keeps known in a preview of an in-place update."""
    from msgraph_membership import AdministrativeUnitGroup

    seen = {}

    def program():
        g = AdministrativeUnitGroup("helpdesk", administrative_unit_id="0c000001-0000-4000-8000-000000000001",
                                    display_name="Helpdesk", mail_nickname="helpdesk")
        g.group_id.apply(lambda v: seen.setdefault("group_id", v))
        g.id.apply(lambda v: seen.setdefault("id", v))

    collect(program)
    assert seen["group_id"] == seen["id"] == "helpdesk_id"


def test_every_resource_declares_its_documented_outputs():
    import msgraph_membership as m

    expected = {
        "GroupMember": {"member_type", "adopted"},
        "GroupMembers": {"member_ids", "adopted_member_ids", "protected_member_ids", "max_removals"},
        "AdministrativeUnitMember": {"member_type", "adopted"},
        "AdministrativeUnitMembers": {"member_ids", "adopted_member_ids", "protected_member_ids", "max_removals"},
        "AdministrativeUnitGroup": {"group_id", "mail", "created_date_time"},
        "MemberOf": {"group_ids", "adopted_group_ids", "protected_group_ids", "max_removals"},
    }
    expected.update({  # a group's owners
        "GroupOwner": {"group_id", "owner_id", "owner_type", "adopted"},
        "GroupOwners": {"group_id", "owner_ids", "adopted_owner_ids", "protected_owner_ids", "max_removals",
                        "authoritative"},
    })
    assert set(m.__all__) == set(expected)
    assert callable(m.get_object_ids) and callable(m.get_object_id)  # lookups by name, beside the resources
    for name, outs in expected.items():
        assert outs <= set(getattr(m, name).__annotations__), name


def test_importing_the_package_loads_no_graph_client_dependencies():
    """The program side stays light: requests, pydantic, azure-identity and msal load in the provider
    process only (importing the package adds little to importing pulumi; the benchmark measures it)."""
    import subprocess
    import sys

    code = ("import sys, pulumi; before = set(sys.modules); import msgraph_membership; "
            "print(sorted(m for m in set(sys.modules) - before "
            "if m.split('.')[0] in ('requests', 'pydantic', 'azure', 'msal', 'msgraph_membership')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = eval(out.stdout)
    assert [m for m in loaded if not m.startswith("msgraph_membership")] == []
    assert "msgraph_membership.graph.client" not in loaded and "msgraph_membership.emulator" not in loaded

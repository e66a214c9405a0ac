"""examples/bootstrap (a new group in an administrative unit, its members, the unit's members,
MemberOf) through its whole life. Every resource but the first takes the new group's id from its
output: unknown in the first preview, real on up."""
from harness.cli import UNKNOWN
from .conftest import graph_writes, groups, memberships

EXAMPLE = "bootstrap"

LYON = "0f000001-0000-4000-8000-000000000001"
REGIONAL_SUPPORT = "0e000001-0000-4000-8000-000000000001"
EVE = "0d000001-0000-4000-8000-000000000001"
FRANK = "0d000001-0000-4000-8000-000000000002"
GRACE = "0d000001-0000-4000-8000-000000000003"
KIOSK = "0d000004-0000-4000-8000-000000000001"

ALL = ("lyon-helpdesk", "lyon-helpdesk-members", "lyon-staff", "lyon-kiosk", "lyon-helpdesk-groups")
ALL += ("lyon-helpdesk-owners",)  # the group's owners


def every(op: str) -> dict:
    return {name: op for name in ALL}


def managed(helpdesk: str) -> set:
    return ({("groups", helpdesk, m) for m in (EVE, FRANK)}
            | {("administrativeUnits", LYON, m) for m in (helpdesk, EVE, FRANK, GRACE, KIOSK)}
            | {("groups", REGIONAL_SUPPORT, helpdesk)})


def test_first_preview_plans_everything_with_the_group_id_unknown(stack):
    plan = stack.preview()
    assert plan.ops() == every("create")
    assert plan.planned_outputs == {"helpdesk_group_id": UNKNOWN}
    assert graph_writes(stack.emu) == []


def test_up_creates_in_order_and_up_again_changes_nothing(stack):
    before = stack.memberships()
    res = stack.up()
    assert res.ops() == every("create")
    helpdesk = res.outputs["helpdesk_group_id"]
    g = groups(stack.directory())[helpdesk]
    assert (g["displayName"], g["mailNickname"], g["securityEnabled"]) == ("Lyon helpdesk", "lyon-helpdesk", True)
    assert stack.memberships() == before | managed(helpdesk)

    stack.emu.clear_requests()
    assert stack.up().changes == 0
    assert graph_writes(stack.emu) == []


def test_edited_program_applies_exactly_the_edit(stack):
    helpdesk = stack.up().outputs["helpdesk_group_id"]
    before = stack.memberships()
    stack.edit('description="First-line support, Lyon office"', 'description="Helpdesk, Lyon"')
    stack.edit("member_ids=[eve, frank])", "member_ids=[eve])")
    plan = stack.preview()
    assert plan.ops() == {**every("same"), "lyon-helpdesk": "update", "lyon-helpdesk-members": "update"}
    res = stack.up()
    assert res.ops() == plan.ops()
    assert res.outputs["helpdesk_group_id"] == helpdesk  # updated in place, not replaced
    assert groups(stack.directory())[helpdesk]["description"] == "Helpdesk, Lyon"
    assert stack.memberships() == before - {("groups", helpdesk, FRANK)}
    assert stack.up().changes == 0


def test_membership_removed_outside_is_drift_on_refresh_and_back_on_up(stack, graph_admin):
    helpdesk = stack.up().outputs["helpdesk_group_id"]
    graph_admin.remove_member(helpdesk, EVE)
    graph_admin.remove_member(LYON, GRACE, kind="administrativeUnits")
    graph_admin.remove_member(REGIONAL_SUPPORT, helpdesk)

    drift = stack.refresh()
    assert drift.ops() == {**every("same"), "lyon-helpdesk-members": "update", "lyon-staff": "update",
                           "lyon-helpdesk-groups": "update"}
    stack.up()
    assert managed(helpdesk) <= stack.memberships()
    assert stack.up().changes == 0


def test_destroy_leaves_the_directory_as_it_was(stack):
    before = stack.directory()
    stack.up()
    assert stack.destroy().ops() == every("delete")
    after = stack.directory()
    assert set(groups(after)) == set(groups(before)), "the group the program created is deleted"
    assert memberships(after) == memberships(before)

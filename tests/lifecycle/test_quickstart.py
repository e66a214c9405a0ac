"""examples/quickstart through its whole life, as `pulumi preview/up/refresh/destroy` would run it."""
from .conftest import graph_writes

EXAMPLE = "quickstart"

ALICE = "0a000001-0000-4000-8000-000000000001"
BOB = "0a000001-0000-4000-8000-000000000002"
CAROL = "0a000001-0000-4000-8000-000000000003"
DAVE = "0a000001-0000-4000-8000-000000000004"
PIPELINE = "0a000003-0000-4000-8000-000000000001"
KIOSK = "0a000004-0000-4000-8000-000000000001"
PLATFORM_ADMINS = "0b000001-0000-4000-8000-000000000001"
DEVELOPERS = "0b000001-0000-4000-8000-000000000002"
PARIS = "0c000001-0000-4000-8000-000000000001"

ALL = ("alice-platform-admin", "developers", "dave-groups", "paris-kiosk", "paris-staff")

# What the program manages; Alice's platform-admin membership is in the seed already (adopted).
MANAGED = ({("groups", PLATFORM_ADMINS, ALICE)}
           | {("groups", DEVELOPERS, m) for m in (ALICE, BOB, CAROL, PIPELINE)}
           | {("groups", DEVELOPERS, DAVE), ("groups", PLATFORM_ADMINS, DAVE)}
           | {("administrativeUnits", PARIS, m) for m in (KIOSK, ALICE, BOB)})
ADOPTED = {("groups", PLATFORM_ADMINS, ALICE)}


def every(op: str) -> dict:
    return {name: op for name in ALL}


def test_preview_plans_every_create_and_writes_nothing(stack):
    before = stack.memberships()
    plan = stack.preview()
    assert plan.ops() == every("create")
    assert stack.resources() == []
    assert stack.memberships() == before
    assert graph_writes(stack.emu) == []


def test_up_creates_and_up_again_changes_nothing(stack):
    before = stack.memberships()
    res = stack.up()
    assert res.ops() == every("create")
    assert res.outputs["alice_admin_adopted"] is True
    assert stack.memberships() == before | MANAGED

    stack.emu.clear_requests()
    again = stack.up()
    assert again.changes == 0 and again.ops() == every("same")
    assert graph_writes(stack.emu) == [], "an up without changes must not write to Graph"
    assert stack.preview().changes == 0


def test_edited_program_applies_exactly_the_edit(stack):
    stack.up()
    before = stack.memberships()
    stack.edit("member_ids=[alice, bob, carol, pipeline]", "member_ids=[alice, bob, pipeline]")
    stack.edit("group_ids=[developers, platform_admins]", "group_ids=[developers]")
    stack.edit('pulumi.export("alice_admin_adopted"',
               'AdministrativeUnitMember("carol-in-paris", administrative_unit_id=paris, member_id=carol)\n'
               'pulumi.export("alice_admin_adopted"')
    plan = stack.preview()
    assert plan.ops() == {**every("same"), "developers": "update", "dave-groups": "update", "carol-in-paris": "create"}
    res = stack.up()
    assert res.ops() == plan.ops()
    assert stack.memberships() == ((before - {("groups", DEVELOPERS, CAROL), ("groups", PLATFORM_ADMINS, DAVE)})
                                   | {("administrativeUnits", PARIS, CAROL)})
    assert stack.up().changes == 0


def test_membership_removed_outside_is_drift_on_refresh_and_back_on_up(stack, graph_admin):
    stack.up()
    graph_admin.remove_member(DEVELOPERS, BOB)
    graph_admin.remove_member(PLATFORM_ADMINS, ALICE)
    graph_admin.remove_member(DEVELOPERS, DAVE)
    graph_admin.remove_member(PARIS, KIOSK, kind="administrativeUnits")
    graph_admin.remove_member(PARIS, ALICE, kind="administrativeUnits")

    drift = stack.refresh()
    # A batch resource reports the members actually present; a single membership that is gone
    # drops out of state.
    assert drift.ops() == {"alice-platform-admin": "delete", "developers": "update", "dave-groups": "update",
                           "paris-kiosk": "delete", "paris-staff": "update"}
    assert stack.refresh().changes == 0

    plan = stack.preview()
    assert plan.ops() == {"alice-platform-admin": "create", "developers": "update", "dave-groups": "update",
                          "paris-kiosk": "create", "paris-staff": "update"}
    stack.up()
    assert MANAGED <= stack.memberships()
    assert stack.up().changes == 0


def test_destroy_leaves_the_directory_as_it_was(stack):
    before = stack.memberships()
    stack.up()
    res = stack.destroy()
    assert res.ops() == every("delete")
    # Deleting a resource removes what it manages, adopted or not (README.md, "Examples"): the one
    # membership the seed already had and the program adopted goes too; nothing else changes.
    assert stack.memberships() == before - ADOPTED
    assert stack.destroy().changes == 0
    assert stack.preview().ops() == every("create")

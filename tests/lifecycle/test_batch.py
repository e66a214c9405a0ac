"""examples/batch (a GroupMembers of 300 members) through its whole life."""
import sys

from .conftest import EXAMPLES, graph_writes

EXAMPLE = "batch"

sys.path.insert(0, str(EXAMPLES / "batch"))
import batch_directory as d  # noqa: E402  (the example's own id scheme)
import build_seed  # noqa: E402

USERS = d.user_ids()
MEMBERS = {("groups", d.GROUP_ID, u) for u in USERS}

# The full example (300 members) runs in the first test; the others use fewer, through the
# example's `memberCount` config, to keep the suite quick.
FEW = 60


def few(stack):
    stack.set_config("memberCount", str(FEW))
    return {("groups", d.GROUP_ID, u) for u in USERS[:FEW]}


def test_committed_seed_is_what_the_builder_writes():
    assert (EXAMPLES / "batch" / "seed.yaml").read_text() == build_seed.render()


def test_up_adds_every_member_in_batches_and_up_again_changes_nothing(stack):
    before = stack.memberships()
    res = stack.up()
    assert res.ops() == {"all-staff": "create"}
    assert res.outputs == {"member_count": 300, "adopted_count": 0}
    assert stack.memberships() == before | MEMBERS
    writes = graph_writes(stack.emu)
    # 300 members, 20 per PATCH members@odata.bind: a handful of requests, not 300.
    assert 0 < len(writes) <= 20, writes

    stack.emu.clear_requests()
    assert stack.up().changes == 0
    assert graph_writes(stack.emu) == []


def test_edited_program_applies_exactly_the_edit(stack):
    few(stack)
    stack.up()
    before = stack.memberships()
    # Drop the last 10 users and add nobody: only those 10 memberships go.
    stack.edit("directory.user_ids(cfg.get_int(\"memberCount\") or directory.USER_COUNT)",
               f"directory.user_ids({FEW - 10})")
    assert stack.preview().ops() == {"all-staff": "update"}
    res = stack.up()
    assert res.ops() == {"all-staff": "update"} and res.outputs["member_count"] == FEW - 10
    assert stack.memberships() == before - {("groups", d.GROUP_ID, u) for u in USERS[FEW - 10:FEW]}
    assert stack.up().changes == 0


def test_membership_removed_outside_is_drift_on_refresh_and_back_on_up(stack, graph_admin):
    managed = few(stack)
    stack.up()
    gone = USERS[7]
    graph_admin.remove_member(d.GROUP_ID, gone)
    drift = stack.refresh()
    assert drift.ops() == {"all-staff": "update"}
    step = drift.step("all-staff")
    assert gone in step.old["member_ids"] and gone not in step.new["member_ids"]
    assert stack.preview().ops() == {"all-staff": "update"}
    stack.up()
    assert stack.memberships() >= managed
    assert stack.up().changes == 0


def test_destroy_leaves_the_directory_as_it_was(stack):
    few(stack)
    before = stack.memberships()
    stack.up()
    assert stack.destroy().counts["delete"] == 1
    assert stack.memberships() == before

"""The engine harness's own contract, on small programs against the quick-start directory:
replacement order, delete-before-replace, deletes of removed resources, failures that keep what
was done, pending deletes left by an interrupted run."""
import json

import pytest

from harness.engine import EngineError

EXAMPLE = "quickstart"  # the directory these programs run against

BOB = "0a000001-0000-4000-8000-000000000002"
CAROL = "0a000001-0000-4000-8000-000000000003"
DEVELOPERS = "0b000001-0000-4000-8000-000000000002"

HEAD = "import pulumi\nfrom msgraph_membership import GroupMember\n"


def program(stack, body: str) -> None:
    (stack.program_dir / "__main__.py").write_text(HEAD + body)


def membership_writes(emu) -> list[tuple[str, str]]:
    """(method, member id) of each single-membership write, in order."""
    out = []
    for e in emu.requests():
        path = e.get("path", "")
        if e.get("kind") == "graph" and e["method"] in ("POST", "DELETE", "PATCH") and "/members" in path:
            member = next((m for m in (BOB, CAROL) if m in path), "")
            out.append((e["method"], member))
    return out


def test_replacement_creates_the_new_one_before_deleting_the_old(stack):
    program(stack, f'GroupMember("m", group_id="{DEVELOPERS}", member_id="{BOB}")\n')
    stack.up()
    program(stack, f'GroupMember("m", group_id="{DEVELOPERS}", member_id="{CAROL}")\n')
    assert stack.preview().ops() == {"m": "replace"}
    stack.emu.clear_requests()
    assert stack.up().ops() == {"m": "replace"}
    writes = membership_writes(stack.emu)
    assert [w[0] for w in writes] == ["POST", "DELETE"], writes  # add Carol, then remove Bob
    assert ("groups", DEVELOPERS, CAROL) in stack.memberships()
    assert ("groups", DEVELOPERS, BOB) not in stack.memberships()
    state = json.loads(stack.state.read_text())["resources"]
    assert [(r["name"], r["id"], r["delete"]) for r in state] == [("m", f"{DEVELOPERS}/member/{CAROL}", False)]


def test_delete_before_replace_option_deletes_first(stack):
    opts = "opts=pulumi.ResourceOptions(delete_before_replace=True)"
    program(stack, f'GroupMember("m", group_id="{DEVELOPERS}", member_id="{BOB}", {opts})\n')
    stack.up()
    program(stack, f'GroupMember("m", group_id="{DEVELOPERS}", member_id="{CAROL}", {opts})\n')
    stack.emu.clear_requests()
    stack.up()
    assert [w[0] for w in membership_writes(stack.emu)] == ["DELETE", "POST"]


def test_resources_removed_from_the_program_are_deleted_dependents_first(stack):
    program(stack, f'a = GroupMember("a", group_id="{DEVELOPERS}", member_id="{BOB}")\n'
                   f'GroupMember("b", group_id="{DEVELOPERS}", member_id="{CAROL}", '
                   'opts=pulumi.ResourceOptions(depends_on=[a]))\n')
    stack.up()
    program(stack, "")
    assert stack.preview().ops() == {"a": "delete", "b": "delete"}
    res = stack.up()
    assert [s.name for s in res.steps] == ["b", "a"]
    assert json.loads(stack.state.read_text())["resources"] == []


def test_a_failed_step_stops_the_update_and_keeps_what_was_done(stack):
    program(stack, f'a = GroupMember("a", group_id="{DEVELOPERS}", member_id="{BOB}")\n'
                   'a.id.apply(lambda _: GroupMember("bad", group_id="not-a-guid", member_id="x"))\n')
    with pytest.raises(EngineError, match="bad.*check failed: group_id"):
        stack.up()
    state = json.loads(stack.state.read_text())["resources"]
    assert [r["name"] for r in state] == ["a"]
    program(stack, f'GroupMember("a", group_id="{DEVELOPERS}", member_id="{BOB}")\n')
    assert stack.up().changes == 0


def test_pending_deletes_left_by_an_interrupted_run_go_first(stack):
    program(stack, f'GroupMember("m", group_id="{DEVELOPERS}", member_id="{BOB}")\n')
    stack.up()
    # As if the run that replaced it had died after creating the replacement.
    doc = json.loads(stack.state.read_text())
    doc["resources"][0]["delete"] = True
    stack.state.write_text(json.dumps(doc))
    program(stack, "")
    stack.up()
    assert ("groups", DEVELOPERS, BOB) not in stack.memberships()
    assert json.loads(stack.state.read_text())["resources"] == []

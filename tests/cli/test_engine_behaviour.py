"""What only the real engine can show, each checked with the real `pulumi` (inline programs of the
Automation API, one emulator for the module):

- an AdministrativeUnitGroup replaced: the new group is created before the old one is deleted,
  and the members move with it;
- `msgraph:clientSecret` set with `pulumi config set --secret` appears nowhere in clear;
- an apply that fails on one bad member among many leaves state from which the next up converges;
- `--parallel 1` and `--parallel 32` leave the same directory;
- `import_=` and `pulumi import` on this Pulumi version (measured, as docs/resources.md says);
- `pulumi preview --diff` of a 1,000-member GroupMembers losing 10 and gaining 10 shows those 20,
  and with members named by sign-in name, only the names that change.
"""
from __future__ import annotations

import threading
import time
import uuid

import pulumi
import pytest

from harness.cli import CliStack, StackError
from harness.emulated import emulator_fixtures, members_of
from harness.outside import OutsideGraph
from lifecycle.conftest import graph_writes, memberships

pytestmark = pytest.mark.cli


def oid(tag: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"engine-behaviour-{tag}"))


USERS = [oid(f"user-{i}") for i in range(1020)]
GROUP = oid("group")
UNIT = oid("unit")
UNIT2 = oid("unit-2")
DOOMED = oid("doomed")


def seed(with_doomed: bool = True) -> dict:
    users = USERS + ([DOOMED] if with_doomed else [])
    return {"users": [{"id": u, "displayName": f"User {i:04d}"} for i, u in enumerate(users)],
            "groups": [{"id": GROUP, "displayName": "Engine", "mailNickname": "engine", "securityEnabled": True,
                        "mailEnabled": False, "groupTypes": []}],
            "administrativeUnits": [{"id": UNIT, "displayName": "Unit one"}, {"id": UNIT2, "displayName": "Unit two"}]}


emu, fresh = emulator_fixtures(seed)


# -- replacement order ------------------------------------------------------------------------------

def test_a_replaced_unit_group_is_created_before_the_old_one_is_deleted(fresh, tmp_path):
    from msgraph_membership import AdministrativeUnitGroup, GroupMembers

    spec = {"unit": UNIT}

    def program():
        g = AdministrativeUnitGroup("team", administrative_unit_id=spec["unit"], display_name="Team",
                                    mail_nickname="team")
        GroupMembers("team-members", group_id=g.id, member_ids=USERS[:3])
        pulumi.export("group", g.id)

    stack = CliStack.inline(fresh, "replace-order", program, tmp_path)
    old = stack.up().outputs["group"]
    spec["unit"] = UNIT2  # a group cannot move between units: the engine replaces it
    plan = stack.preview()
    assert plan.ops() == {"team": "replace", "team-members": "replace"}
    res = stack.up()
    new = res.outputs["group"]
    assert new != old
    order = [(op, name) for op, name in res.sequence if name == "team"]
    assert order.index(("create-replacement", "team")) < order.index(("delete-replaced", "team")), order
    groups = {g["id"]: g for g in fresh.directory()["groups"]}
    assert old not in groups and new in groups
    assert members_of(fresh, new) == set(USERS[:3])
    assert new in members_of(fresh, UNIT2) and new not in members_of(fresh, UNIT)
    assert stack.up().changes == 0
    stack.destroy()


# -- secrets -----------------------------------------------------------------------------------------

def test_a_secret_client_secret_appears_nowhere_in_clear(fresh, tmp_path):
    from msgraph_membership import GroupMember, GroupMembers

    def program():
        GroupMembers("many", group_id=GROUP, member_ids=USERS[:5])
        GroupMember("one", group_id=GROUP, member_id=USERS[5])

    secret = fresh.client_secret
    assert secret and len(secret) > 16
    # The secret only in stack config, encrypted: not in the environment the CLI and provider see.
    stack = CliStack.inline(fresh, "secret-config", program, tmp_path,
                            env={"ARM_CLIENT_SECRET": "", "MSGRAPH_LOG_LEVEL": "DEBUG"})
    stack.set_config("msgraph:clientSecret", secret, secret=True)
    seen = [stack.preview(), stack.up(), stack.refresh(), stack.preview(diff=True)]
    assert members_of(fresh, GROUP) >= set(USERS[:6]), "the provider signed in with the config secret"
    exported = stack.export()
    seen.append(stack.destroy())
    texts = [s.stdout + s.stderr + "\n".join(s.diagnostics) for s in seen]
    texts.append(repr(exported))
    files = {str(p): p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()}
    assert [t[:200] for t in texts if secret in t] == []
    assert [name for name, text in files.items() if secret in text] == []
    # The stack's settings file holds it encrypted.
    [settings] = [text for name, text in files.items() if name.endswith("Pulumi.dev.yaml")]
    assert "msgraph:clientSecret" in settings and "secure:" in settings
    assert exported["secrets_providers"]["type"] == "passphrase"


# -- a failed apply --------------------------------------------------------------------------------

def test_an_apply_that_fails_on_one_member_leaves_state_the_next_up_converges_from(fresh, tmp_path):
    from msgraph_membership import GroupMembers

    spec = {"members": USERS[:45] + [DOOMED]}

    def program():
        GroupMembers("team", group_id=GROUP, member_ids=spec["members"])

    stack = CliStack.inline(fresh, "failed-apply", program, tmp_path)
    fresh.faults({"latency_ms": 400})  # a window between the check (which validates) and the writes

    def delete_doomed_after_the_check():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(r.get("path", "").split("?")[0].endswith("/directoryObjects/getByIds") for r in fresh.requests()):
                fresh.reset()  # the directory without DOOMED (nothing was written yet: the check only reads)
                fresh.seed(seed(with_doomed=False))
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=delete_doomed_after_the_check)
    watcher.start()
    with pytest.raises(StackError) as failed:
        stack.up()
    watcher.join()
    fresh.faults({})
    message = failed.value.summary.stderr + failed.value.summary.stdout + "\n".join(failed.value.summary.diagnostics)
    assert DOOMED in message
    assert members_of(fresh, GROUP) <= set(USERS[:45])

    # Keeping the bad id fails at preview, naming it, and writes nothing.
    fresh.clear_requests()
    with pytest.raises(StackError) as again:
        stack.preview()
    assert DOOMED in again.value.summary.stderr + again.value.summary.stdout + "\n".join(again.value.summary.diagnostics)
    assert graph_writes(fresh) == []

    # Without it, the next up converges, and the one after changes nothing.
    spec["members"] = USERS[:45]
    stack.up()
    assert members_of(fresh, GROUP) == set(USERS[:45])
    assert stack.up().changes == 0
    stack.destroy()
    assert members_of(fresh, GROUP) == set()


# -- parallelism -----------------------------------------------------------------------------------

def many_resources():
    from msgraph_membership import (AdministrativeUnitMember, AdministrativeUnitMembers, GroupMember,
                                    GroupMembers, MemberOf)

    for i in range(40):
        GroupMember(f"gm-{i}", group_id=GROUP, member_id=USERS[i])
    GroupMembers("gms", group_id=GROUP, member_ids=USERS[40:240])
    for i in range(10):
        AdministrativeUnitMember(f"aum-{i}", administrative_unit_id=UNIT, member_id=USERS[300 + i])
    AdministrativeUnitMembers("aums", administrative_unit_id=UNIT2, member_ids=USERS[310:360])
    MemberOf("mo", member_id=USERS[400], group_ids=[GROUP])


EXPECTED = ({("groups", GROUP, u) for u in USERS[:240] + [USERS[400]]}
            | {("administrativeUnits", UNIT, u) for u in USERS[300:310]}
            | {("administrativeUnits", UNIT2, u) for u in USERS[310:360]})


@pytest.mark.parametrize("parallel", [1, 32])
def test_parallel_1_and_32_give_the_same_directory(fresh, tmp_path, parallel):
    before = memberships(fresh.directory())
    stack = CliStack.inline(fresh, f"parallel-{parallel}", many_resources, tmp_path)
    res = stack.up(parallel=parallel)
    assert set(res.ops().values()) == {"create"} and len(res.ops()) == 40 + 1 + 10 + 1 + 1
    assert memberships(fresh.directory()) == before | EXPECTED
    assert stack.up(parallel=parallel).changes == 0
    stack.destroy(parallel=parallel)
    assert memberships(fresh.directory()) == before


# -- import -----------------------------------------------------------------------------------------

def test_import_of_a_dynamic_resource_fails_on_this_pulumi_version(fresh, tmp_path):
    """pulumi/pulumi#16175: the engine's import reads with the id only, and the Python dynamic
    provider needs its serialized provider from state. If a new Pulumi version fixes it, this test
    fails and docs/resources.md ("Import") must say so."""
    from msgraph_membership import GroupMember

    emu = fresh
    OutsideGraph(emu).add_member(GROUP, USERS[0])
    rid = f"{GROUP}/member/{USERS[0]}"

    def program():
        GroupMember("existing", group_id=GROUP, member_id=USERS[0], opts=pulumi.ResourceOptions(import_=rid))

    stack = CliStack.inline(emu, "import-option", program, tmp_path)
    with pytest.raises(StackError) as e:
        stack.up()
    text = e.value.summary.stderr + "\n".join(e.value.summary.diagnostics)
    assert "__provider" in text, text[-2000:]

    # The `pulumi import` command fails the same way.
    stack2 = CliStack.inline(emu, "import-command", lambda: None, tmp_path / "p2")
    proc = stack2.pulumi("import", "pulumi-python:dynamic/msgraph:GroupMember", "existing", rid, "--yes",
                         check=False)
    assert proc.returncode != 0
    assert "__provider" in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-2000:]
    # Adoption is the way: the same declaration without import_ takes the membership over.

    def adopt():
        GroupMember("existing", group_id=GROUP, member_id=USERS[0])
        pulumi.export("adopted", True)

    stack3 = CliStack.inline(emu, "adopt", adopt, tmp_path / "p3")
    stack3.up()
    [res] = [r for r in stack3.resources() if r["type"].endswith(":GroupMember")]
    assert res["outputs"]["adopted"] is True and res["id"] == rid


# -- preview --diff ------------------------------------------------------------------------------------

def test_preview_diff_of_a_thousand_members_shows_the_twenty_changes(fresh, tmp_path):
    from msgraph_membership import GroupMembers

    spec = {"members": USERS[:1000]}

    def program():
        GroupMembers("thousand", group_id=GROUP, member_ids=spec["members"])

    stack = CliStack.inline(fresh, "diff", program, tmp_path)
    stack.up()
    spec["members"] = USERS[10:1010]
    plan = stack.preview(diff=True)
    assert plan.ops() == {"thousand": "update"}
    lines = plan.stdout.splitlines()
    changed = [ln for ln in lines if ln.strip()[:1] in "+-" and any(u in ln for u in USERS)]
    assert {u for ln in changed for u in USERS[:10] if u in ln and ln.strip().startswith("-")} == set(USERS[:10])
    assert {u for ln in changed for u in USERS[1000:1010] if u in ln and ln.strip().startswith("+")} == set(USERS[1000:1010])
    assert len(changed) == 20
    mentioned = [ln for ln in lines if any(u in ln for u in USERS)]
    assert len(mentioned) == 20, "unchanged members are not listed"
    assert len(lines) < 80
    stack.destroy()


def test_preview_diff_with_names_shows_only_the_names_that_change(fresh, tmp_path):
    from msgraph_membership import GroupMembers

    named = [oid(f"named-{i}") for i in range(24)]
    upns = [f"named{i:02d}@contoso.test" for i in range(24)]
    fresh.seed({"users": [{"id": u, "displayName": f"Named {i}", "userPrincipalName": upns[i]}
                          for i, u in enumerate(named)]})
    spec = {"members": upns[:20]}

    def program():
        GroupMembers("named", group_id="group:Engine", member_ids=spec["members"])

    stack = CliStack.inline(fresh, "names", program, tmp_path)
    stack.up()
    spec["members"] = upns[2:22]  # two leave, two join
    plan = stack.preview(diff=True)
    assert plan.ops() == {"named": "update"}
    lines = plan.stdout.splitlines()
    mentioned = {u for ln in lines for u in upns + named if u in ln}
    changed = set(upns[:2] + upns[20:22] + named[:2] + named[20:22])
    assert mentioned <= changed, f"unchanged members printed: {sorted(mentioned - changed)}"
    assert set(upns[:2] + upns[20:22]) <= mentioned or set(named[:2] + named[20:22]) <= mentioned
    stack.destroy()


# -- the guard against mass removal, as the engine shows it ------------------------------------------

def test_authoritative_preview_diff_names_the_outside_members_it_would_remove(fresh, tmp_path):
    from msgraph_membership import GroupMembers


    spec = {"authoritative": False, "max_removals": None}

    def program():
        GroupMembers("guarded", group_id=GROUP, member_ids=USERS[:5], authoritative=spec["authoritative"],
                     max_removals=spec["max_removals"])

    stack = CliStack.inline(fresh, "guard", program, tmp_path)
    stack.up()
    outside = OutsideGraph(fresh)
    for u in USERS[100:103]:
        outside.add_member(GROUP, u)
    spec["authoritative"] = True
    plan = stack.preview(diff=True)
    assert plan.ops() == {"guarded": "update"}
    text = plan.stdout + plan.stderr
    assert "outside_members_to_remove" in text
    assert all(u in text for u in USERS[100:103]) and "will remove 3 member(s)" in text
    assert members_of(fresh, GROUP) == set(USERS[:5]) | set(USERS[100:103]), "preview removed nothing"
    # With max_removals below what the run would remove, preview fails naming the count.
    spec["max_removals"] = 2
    with pytest.raises(StackError) as e:
        stack.preview()
    assert "max_removals" in str(e.value) and "would remove 3 member(s)" in str(e.value)
    spec["max_removals"] = None
    stack.up()
    assert members_of(fresh, GROUP) == set(USERS[:5])
    stack.destroy()

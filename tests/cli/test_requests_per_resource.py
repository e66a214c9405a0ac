"""Graph requests of many single memberships through the real `pulumi`, counted: `pulumi up` runs a
preview and an update, each in a provider process of its own, and both check every new
`GroupMember`, one at a time; the members are still looked up (`getByIds`) together, once per
command (graph/shared_types.py), from a program the CLI runs and from an Automation API inline
program alike. A no-change preview sends nothing; a second `pulumi up` neither."""
from __future__ import annotations

import uuid

import pytest

from harness.cli import CliStack, ShellStack

pytestmark = pytest.mark.cli

N = 6
GROUP = str(uuid.uuid5(uuid.NAMESPACE_URL, "requests-per-resource-group"))
USERS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"requests-per-resource-{i}")) for i in range(N)]
PROGRAM = f"""
from msgraph_membership import GroupMember

for i, m in enumerate({USERS!r}):
    GroupMember(f"m{{i}}", group_id={GROUP!r}, member_id=m)
"""


def kinds(emu) -> list[str]:
    return [f"{r['method']} {r['path'].split('?')[0]}" for r in emu.requests() if r.get("kind") == "graph"]


SEED = {"users": [{"id": u, "displayName": f"User {i}"} for i, u in enumerate(USERS)],
        "groups": [{"id": GROUP, "displayName": "Singles", "mailNickname": "singles", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": []}]}


def assert_looked_up_together(emu, sent: list[str]) -> None:
    lookups = [k for k in sent if k.endswith("/directoryObjects/getByIds")]
    # the update asks for nothing the preview found, and the preview's first check looks up every
    # member the program noted: a few requests, not one per resource and process (2 N before)
    assert 1 <= len(lookups) <= N // 2, sent
    assert {u for g in emu.directory()["groups"] if g["id"] == GROUP for u in g["members"]} == set(USERS)


def test_each_member_is_looked_up_once_per_pulumi_up(tmp_path):
    from msgraph_membership.emulator.process import start_emulator

    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: singles\nruntime: python\n")
    (program / "__main__.py").write_text(PROGRAM)
    with start_emulator(seed=SEED) as emu:
        stack = ShellStack.for_directory(emu, program, tmp_path)
        emu.clear_requests()
        assert stack.up().counts.get("create") == N
        assert_looked_up_together(emu, kinds(emu))

        emu.clear_requests()
        assert stack.preview().changes == 0
        assert kinds(emu) == []
        assert stack.up().changes == 0
        assert kinds(emu) == []


def test_an_inline_program_looks_each_member_up_once_per_pulumi_up_too(tmp_path):
    """The Automation API runs an inline program in the process that starts `pulumi` (this one):
    the program notes its members for the `pulumi` it started (N lookups in a row before)."""
    from msgraph_membership import GroupMember
    from msgraph_membership.emulator.process import start_emulator

    def program():
        for i, m in enumerate(USERS):
            GroupMember(f"m{i}", group_id=GROUP, member_id=m)

    with start_emulator(seed=SEED) as emu:
        stack = CliStack.inline(emu, "singles-inline", program, tmp_path)
        emu.clear_requests()
        assert stack.up().counts.get("create") == N
        assert_looked_up_together(emu, kinds(emu))

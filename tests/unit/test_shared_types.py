"""Object types shared by the provider processes of one `pulumi` command (graph/shared_types.py):
a second process of the same command and identity asks Graph for none of what the first found;
another identity, another command, or a process not started by `pulumi` shares nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from msgraph_membership.graph import shared_types
from msgraph_membership.graph.client import ConsistencyPolicy, GraphClient
from msgraph_membership.graph.settings import resolve_settings
from msgraph_membership.graph.shared_types import SharedTypes, command_key

from .test_known import M365, DirectoryStub

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def process(monkeypatch, tmp_path, key: str, tenant: str = "t1") -> tuple[GraphClient, DirectoryStub]:
    """A client as a provider process of command `key` would build it, with the files in tmp_path."""
    monkeypatch.setattr(shared_types, "command_key", lambda: key)
    monkeypatch.setattr(shared_types, "_private_dir", lambda: tmp_path)
    stub = DirectoryStub()
    c = GraphClient(resolve_settings({"msgraph:tenantId": tenant}, environ={}), transport=stub,
                    consistency=ConsistencyPolicy(), sleep=lambda s: None)
    return c, stub


def test_the_second_process_of_a_command_asks_graph_for_none_of_what_the_first_found(monkeypatch, tmp_path):
    preview, first = process(monkeypatch, tmp_path, "123-456")
    for i in M365[:20]:  # the preview's checks, one member each
        assert preview.object_types([i]) == {i: "group"}
    assert first.calls == 20
    update, second = process(monkeypatch, tmp_path, "123-456")
    assert update.object_types(M365[:20]) == {i: "group" for i in M365[:20]}
    assert update.is_unified_group(M365[3]) is True  # the kind came along with the type
    assert second.calls == 0
    assert update.object_types(M365[:21]) == {i: "group" for i in M365[:21]} and second.calls == 1  # only the new one


def test_another_command_or_identity_shares_nothing(monkeypatch, tmp_path):
    c, _ = process(monkeypatch, tmp_path, "123-456")
    c.object_types(M365[:5])
    for key, tenant in (("123-789", "t1"), ("123-456", "t2")):
        other, stub = process(monkeypatch, tmp_path, key, tenant)
        other.object_types(M365[:5])
        assert stub.calls == 1, (key, tenant)


def test_without_a_pulumi_command_nothing_is_written(monkeypatch, tmp_path):
    c, _ = process(monkeypatch, tmp_path, None)
    c.object_types(M365[:5])
    assert list(tmp_path.iterdir()) == []


def test_the_file_holds_ids_and_types_only_readable_by_this_user(monkeypatch, tmp_path):
    c, _ = process(monkeypatch, tmp_path, "123-456")
    c.object_types(M365[:2])
    (f,) = tmp_path.iterdir()
    assert f.stat().st_mode & 0o077 == 0
    assert f.read_text().splitlines() == [f"{i}\tgroup\t1" for i in M365[:2]]


def test_files_of_old_commands_are_removed(tmp_path):
    old = tmp_path / "1-1-abc.types"
    old.write_text("x\tuser\t-\n")
    os.utime(old, (0, 0))
    SharedTypes(("id",), "2-2", tmp_path).add([(M365[0], "group", False)])
    assert not old.exists() and len(list(tmp_path.glob("*.types"))) == 1


def test_the_command_is_the_pulumi_process_above_the_shell_launchers(tmp_path):
    """A provider started as pulumi starts it (through the plugin's shell launcher) finds the
    `pulumi` process; one started by anything else finds no command."""
    pulumi = tmp_path / "pulumi"
    pulumi.symlink_to(sys.executable)  # a process whose name is `pulumi`
    provider = f"{sys.executable} -c 'from msgraph_membership.graph.shared_types import command_key; print(command_key())'"
    code = (f"import os, subprocess; print(os.getpid()); "
            f"subprocess.run(['sh', '-c', {provider!r} + '; true'])")
    out = subprocess.run([str(pulumi), "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    pid, key = out.stdout.split()
    assert key.startswith(f"{pid}-") and key != f"{pid}-"
    assert command_key() is None  # pytest is no `pulumi`


def test_the_first_check_looks_up_every_member_the_program_noted(monkeypatch, tmp_path):
    """The engine checks one resource at a time: the program's noted ids make the first check's
    lookup answer the checks still to come."""
    monkeypatch.setattr(shared_types, "_wanted_path", [])
    c, stub = process(monkeypatch, tmp_path, "123-456")
    for i in M365[:20]:
        shared_types.note_wanted(i)  # what GroupMember(...) does in the program
    for i in M365[:20]:
        assert c.object_types([i]) == {i: "group"}
    assert stub.calls == 1
    assert c.object_types([M365[25]]) == {M365[25]: "group"} and stub.calls == 2  # not noted: asked alone
    assert len(SharedTypes(("x",), "123-456", tmp_path).wanted()) == 20


def test_the_program_notes_the_member_of_each_single_membership(monkeypatch, tmp_path):
    from harness.program import collect
    from msgraph_membership import AdministrativeUnitMember, GroupMember

    monkeypatch.setattr(shared_types, "_wanted_path", [])
    monkeypatch.setattr(shared_types, "command_key", lambda: "9-9")
    monkeypatch.setattr(shared_types, "_private_dir", lambda: tmp_path)
    collect(lambda: [GroupMember("a", group_id=M365[0], member_id=M365[1].upper()),
                     AdministrativeUnitMember("b", administrative_unit_id=M365[2], member_id=M365[3]),
                     GroupMember("c", group_id=M365[0], member_id="alice@contoso.com")])
    assert (tmp_path / "9-9.wanted").read_text().split() == [M365[1], M365[3]]


def test_an_inline_program_notes_for_the_one_pulumi_it_started(monkeypatch, tmp_path):
    """The Automation API runs an inline program in the process that starts `pulumi`: with one
    `pulumi` child running, the program notes its ids for that command; with none, or two at once,
    for no command."""
    monkeypatch.setattr(shared_types, "_wanted_path", [])
    monkeypatch.setattr(shared_types, "_private_dir", lambda: tmp_path)
    pulumi = tmp_path / "pulumi"
    pulumi.symlink_to(sys.executable)  # a process whose name is `pulumi`
    sleeper = [str(pulumi), "-c", "import time; time.sleep(60)"]
    assert shared_types.started_command_key() is None
    shared_types.note_wanted(M365[0])
    assert list(tmp_path.glob("*.wanted")) == []
    first = subprocess.Popen(sleeper)
    try:
        key = shared_types.started_command_key()
        assert key is not None and key.startswith(f"{first.pid}-")
        shared_types.note_wanted(M365[1])
        assert (tmp_path / f"{key}.wanted").read_text().split() == [M365[1]]
        second = subprocess.Popen(sleeper)
        try:
            assert shared_types.started_command_key() is None  # two commands at once: share nothing
        finally:
            second.kill()
            second.wait()
    finally:
        first.kill()
        first.wait()
    assert shared_types.started_command_key() is None

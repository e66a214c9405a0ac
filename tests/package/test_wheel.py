"""What gets published is what gets tested, once: the sdist and the wheel pass `twine check`,
carry every file the package needs (a file left out fails here), and a program of a user's own,
outside the repository, runs through the real `pulumi up` against the emulator with nothing but
the wheel installed in its virtualenv."""
from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from harness.cli import PASSPHRASE, ShellStack, pulumi_bin

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "provider" / "msgraph_membership"
URL = "https://github.com/pulumi-msgraph-membership/pulumi-msgraph-membership"

ALICE, BOB = "0a000001-0000-4000-8000-000000000001", "0a000001-0000-4000-8000-000000000002"
DEVS = "0b000001-0000-4000-8000-000000000001"
SEED = {"users": [{"id": ALICE, "displayName": "Alice", "userPrincipalName": "alice@contoso.test"},
                  {"id": BOB, "displayName": "Bob", "userPrincipalName": "bob@contoso.test"}],
        "groups": [{"id": DEVS, "displayName": "Developers", "mailNickname": "developers", "securityEnabled": True,
                    "mailEnabled": False, "groupTypes": []}]}

PROGRAM = '''\
import pulumi
import msgraph_membership
from msgraph_membership import GroupMembers, get_object_id

bob = get_object_id("bob@contoso.test")
devs = GroupMembers("developers", group_id="group:Developers", member_ids=["alice@contoso.test", bob])
pulumi.export("members", devs.member_ids)
pulumi.export("package_file", msgraph_membership.__file__)
pulumi.export("version", msgraph_membership.__version__)
'''


def metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as z:
        [name] = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(z.read(name).decode())


def test_twine_check_passes_on_both(installed):
    res = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(installed.sdist),
                          str(installed.wheel)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("PASSED") == 2


def test_the_wheel_and_sdist_carry_every_file_of_the_package(installed):
    """Every file under provider/msgraph_membership that git tracks (sources, py.typed, the
    emulator's page) is in the wheel, and in the sdist the wheel is built from."""
    tracked = subprocess.run(["git", "ls-files", "provider/msgraph_membership"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.split()
    expected = {p.removeprefix("provider/") for p in tracked}
    assert {"msgraph_membership/py.typed", "msgraph_membership/emulator/page/page.js",
            "msgraph_membership/_version.py"} <= expected
    with zipfile.ZipFile(installed.wheel) as z:
        in_wheel = set(z.namelist())
    assert expected <= in_wheel, sorted(expected - in_wheel)
    with tarfile.open(installed.sdist) as t:
        in_sdist = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {f"provider/{p}" for p in expected} | {"README.md", "pyproject.toml", "CHANGELOG.md"} <= in_sdist


def test_the_metadata_a_package_index_shows(installed):
    from msgraph_membership import __version__

    meta = metadata(installed.wheel)
    assert meta["Version"] == __version__ and installed.wheel.name.startswith(f"pulumi_msgraph_membership-{__version__}-")
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert urls["Homepage"] == URL and urls["Changelog"] == f"{URL}/blob/main/CHANGELOG.md"
    assert {"Documentation", "Issues", "Repository"} <= set(urls)
    assert "Typing :: Typed" in meta.get_all("Classifier")
    assert "pulumi" in meta["Keywords"]
    # The README as the index page shows it: no link that only works inside a checkout.
    description = meta.get_payload()
    import re

    relative = [link for link in re.findall(r"\]\(([^)]+)\)", description) if not link.startswith("https://")]
    assert relative == [], relative
    assert f"]({URL}/blob/main/docs/resources.md" in description and f"]({URL}/raw/main/docs/images/" in description


def test_the_installed_package_answers_its_version_and_is_typed(installed, tmp_path):
    from msgraph_membership import __version__

    out = subprocess.run([str(installed.python), "-c", "import msgraph_membership as m; print(m.__version__, m.__file__)"],
                         capture_output=True, text=True, cwd=tmp_path, check=True).stdout.split()
    assert out[0] == __version__ and not Path(out[1]).is_relative_to(REPO)
    # mypy, run on a user's program against that virtualenv, sees the wheel's types (py.typed).
    prog = tmp_path / "prog.py"
    prog.write_text("from msgraph_membership import GroupMembers\nGroupMembers('d', group_id='g', member_ids='alice')\n")
    res = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable",
                          str(installed.python), prog.name], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert 'prog.py:2: error: Argument "member_ids" to "GroupMembers" has incompatible type "str"' in res.stdout, \
        res.stdout + res.stderr


@pytest.mark.cli
def test_a_program_outside_the_repository_runs_pulumi_up_from_the_wheel(installed, emu, tmp_path, monkeypatch):
    pulumi_bin()
    # The program's own virtualenv (Pulumi.yaml) decides its Python, not this test's.
    monkeypatch.delenv("PULUMI_PYTHON_CMD", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    emu.seed(SEED)
    project = tmp_path / "user-project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: wheel-user\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
        f"    virtualenv: {installed.venv}\n")
    (project / "__main__.py").write_text(PROGRAM)
    backend = tmp_path / "backend"
    backend.mkdir()
    env = {**emu.env(), "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "PULUMI_SKIP_UPDATE_CHECK": "true",
           "PULUMI_BACKEND_URL": f"file://{backend}"}
    stack = ShellStack(emu, project, env)
    up = stack.up()
    assert up.ops() == {"developers": "create"}, up.stdout
    assert sorted(up.outputs["members"]) == [ALICE, BOB]
    assert up.outputs["package_file"].startswith(str(installed.venv)), up.outputs
    [group] = [g for g in emu.directory()["groups"] if g["id"] == DEVS]
    assert sorted(group["members"]) == [ALICE, BOB]
    assert stack.up().changes == 0

"""A user's program, type-checked as a user's editor or CI would: the package ships its types
(py.typed), so `mypy --strict` passes on the examples and the template and reports wrong argument types where the
user wrote them; pyright (the engine of VS Code's Pylance) reports the same.

pyright's PyPI package runs the system `node` (and fetches pyright's own JavaScript from the npm
registry once); without `node` it would download one, so the pyright test needs `node` on PATH.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The examples and the `pulumi new` template: the programs users start from.
EXAMPLES = sorted(p.parent for p in [*(REPO / "examples").glob("*/__main__.py"), *(REPO / "templates").glob("*/__main__.py")])

# What a user gets wrong, one mistake per line; each is reported on its own line.
WRONG = '''\
import pulumi
from msgraph_membership import AdministrativeUnitGroup, GroupMember, GroupMembers, MemberOf, get_object_ids

GroupMembers("devs", group_id="group:Developers", member_ids="alice@contoso.com")
GroupMembers("ops", group_id="group:Ops", member_ids=["alice@contoso.com"], max_removals="3")
GroupMember("one", group_id=42, member_id="bob@contoso.com")
MemberOf("dave", member_id="dave@contoso.com", group_ids=["group:Ops"], protected_group_ids="group:Ops")
AdministrativeUnitGroup("g", administrative_unit_id="unit:Paris", display_name="G", mail_nickname="g",
                        security_enabled="yes")
ids: dict[str, int] = get_object_ids(["alice@contoso.com"])
count: pulumi.Output[int] = GroupMembers("x", group_id="g", member_ids=[]).member_ids
'''
# line -> what the checker must name there (the argument, or the type an output or lookup has)
EXPECTED = {4: "member_ids", 5: "max_removals", 6: "group_id", 7: "protected_group_ids",
            9: "security_enabled", 10: "dict[str, str]", 11: "Output[list[str]]"}


def mypy(target: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), "--no-color-output",
                           "--hide-error-context", target.name], cwd=target.parent, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_pass_mypy_strict(example, cache):
    res = mypy(example / "__main__.py", cache)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Success: no issues found" in res.stdout


def errors_by_line(output: str, pattern: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for m in re.finditer(pattern, output, re.M):
        out.setdefault(int(m["line"]), "")
        out[int(m["line"])] += m["msg"]
    return out


def test_mypy_strict_reports_wrong_argument_types_where_written(tmp_path, cache):
    prog = tmp_path / "wrong.py"
    prog.write_text(WRONG)
    res = mypy(prog, cache)
    assert res.returncode == 1, res.stdout + res.stderr
    errors = errors_by_line(res.stdout, r"^wrong\.py:(?P<line>\d+): error: (?P<msg>.*)$")
    assert set(errors) == set(EXPECTED), res.stdout
    for line, name in EXPECTED.items():
        assert name in errors[line], (line, errors[line])
    # The messages say what was expected, in Pulumi's terms.
    assert 'Argument "member_ids" to "GroupMembers" has incompatible type "str"' in errors[4]
    assert 'Argument "max_removals" to "GroupMembers" has incompatible type "str"; expected "int | ' \
           'Awaitable[int] | Output[int] | None"' in errors[5]
    assert 'has incompatible type "int"; expected "str | Awaitable[str] | Output[str]"' in errors[6]
    assert f"Found {len(EXPECTED)} errors in 1 file" in res.stdout


def test_mypy_sees_outputs_and_lookups_typed(tmp_path, cache):
    """Outputs are `pulumi.Output[...]` of their documented type, never Any."""
    prog = tmp_path / "reveal.py"
    prog.write_text(
        "from msgraph_membership import AdministrativeUnitGroup, GroupMember, GroupMembers, get_object_id\n"
        "g = GroupMembers('d', group_id='g', member_ids=['a'])\n"
        "reveal_type(g.member_ids)\n"
        "reveal_type(g.adopted_member_ids)\n"
        "reveal_type(GroupMember('m', group_id='g', member_id='a').adopted)\n"
        "u = AdministrativeUnitGroup('u', administrative_unit_id='x', display_name='U', mail_nickname='u')\n"
        "reveal_type(u.mail)\n"
        "reveal_type(u.created_date_time)\n"
        "reveal_type(get_object_id('alice@contoso.com'))\n")
    res = mypy(prog, cache)
    revealed = re.findall(r'Revealed type is "([^"]+)"', res.stdout)
    assert revealed == ["pulumi.output.Output[builtins.list[builtins.str]]"] * 2 + [
        "pulumi.output.Output[builtins.bool]", "pulumi.output.Output[builtins.str | None]",
        "pulumi.output.Output[builtins.str]", "builtins.str"] or revealed == [
        "pulumi.output.Output[list[str]]"] * 2 + [
        "pulumi.output.Output[bool]", "pulumi.output.Output[str | None]", "pulumi.output.Output[str]", "str"], res.stdout


def test_pyright_reports_the_same_mistakes(tmp_path):
    if shutil.which("node") is None:
        msg = "pyright needs node on PATH (its PyPI package would otherwise download one)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    (tmp_path / "wrong.py").write_text(WRONG)
    (tmp_path / "pyrightconfig.json").write_text('{"typeCheckingMode": "strict"}')
    for example in EXAMPLES:
        shutil.copytree(example, tmp_path / example.name, ignore=shutil.ignore_patterns("__pycache__"))
    res = subprocess.run([sys.executable, "-m", "pyright", "--pythonpath", sys.executable, "."], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"})
    errors = errors_by_line(res.stdout, r"^\s*\S*wrong\.py:(?P<line>\d+):\d+ - error: (?P<msg>.*)$")
    assert set(errors) == set(EXPECTED), res.stdout
    assert not [line for line in res.stdout.splitlines() if " - error" in line and "wrong.py" not in line], res.stdout

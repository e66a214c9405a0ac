"""The Python launcher of this project's CLI build (scripts/pulumi-cli/python-plugin.sh) chooses the
program's Python from Pulumi.yaml's `virtualenv` runtime option in every YAML form Pulumi accepts,
and says which Python it chose, and why, when that Python lacks the Pulumi SDK."""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from harness.cli import ShellStack, copy_example, pulumi_bin
from lifecycle.conftest import EXAMPLES

pytestmark = pytest.mark.cli

VENV = Path(sys.executable).parents[1]  # the tests' virtualenv: it has pulumi and this package
FLOW = "name: {name}\nruntime: {{name: python, options: {{virtualenv: {venv}, toolchain: pip}}}}\n"
BLOCK = "name: {name}\nruntime:\n  name: python\n  options:\n    virtualenv: {venv}\n"


def launcher_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PULUMI_PYTHON_CMD", "VIRTUAL_ENV")}
    env["PATH"] = pulumi_bin() + os.pathsep + env.get("PATH", "")
    return env


@pytest.mark.parametrize("form", [FLOW, BLOCK], ids=["flow", "block"])
def test_the_reader_finds_the_virtualenv_in_either_yaml_form_from_a_subdirectory(tmp_path, form):
    (tmp_path / "Pulumi.yaml").write_text(form.format(name="p", venv="venv"))
    (tmp_path / "src").mkdir()
    out = subprocess.run([str(Path(pulumi_bin()) / "pulumi-project-virtualenv")], cwd=tmp_path / "src",
                         env=launcher_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().split("\t") == [str(tmp_path / "venv"), str(tmp_path / "Pulumi.yaml")]


def test_the_reader_prints_nothing_for_a_runtime_without_options(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    out = subprocess.run([str(Path(pulumi_bin()) / "pulumi-project-virtualenv")], cwd=tmp_path,
                         env=launcher_env(), capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout) == (0, "")


def test_a_virtualenv_without_the_sdk_is_named_with_why_it_was_chosen(tmp_path):
    venv.create(tmp_path / "bare", with_pip=False)  # a Python with no pulumi in it
    (tmp_path / "Pulumi.yaml").write_text(FLOW.format(name="p", venv="bare"))
    for plugin in ("pulumi-resource-pulumi-python", "pulumi-language-python"):
        out = subprocess.run([str(Path(pulumi_bin()) / plugin)], cwd=tmp_path, env=launcher_env(),
                             capture_output=True, text=True, timeout=60)
        assert out.returncode != 0
        assert f"{plugin}: the Python chosen, {tmp_path / 'bare' / 'bin' / 'python'}" in out.stderr
        assert f"the virtualenv option of {tmp_path / 'Pulumi.yaml'}" in out.stderr
        assert "lacks the Pulumi SDK" in out.stderr


def test_pulumi_preview_and_up_of_a_flow_style_project(tmp_path):
    from msgraph_membership.emulator.process import start_emulator

    emu = start_emulator(seed=str(EXAMPLES / "quickstart" / "seed.yaml"))
    try:
        program = copy_example(EXAMPLES / "quickstart", tmp_path / "quickstart")
        (program / "venv").symlink_to(VENV)
        (program / "Pulumi.yaml").write_text(FLOW.format(name="flow-style", venv="venv"))
        st = ShellStack.for_directory(emu, program, tmp_path, env={"PULUMI_PYTHON_CMD": ""})
        st.env.pop("VIRTUAL_ENV", None)
        before = st.memberships()
        assert st.preview().counts.get("create", 0) > 0
        st.up()
        after_up = st.memberships()
        assert after_up > before  # the program ran, with the virtualenv's Python
        assert st.preview().changes == 0
        st.destroy()
        assert not st.memberships() & (after_up - before)  # what up added is gone
    finally:
        emu.stop()

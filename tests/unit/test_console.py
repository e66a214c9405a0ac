"""`msgraph-emulator` installed without the `emulator` extra says, in one line, which to install."""
from __future__ import annotations

import subprocess
import sys

# Run the installed console script's entry point with `jwt` unimportable, as after a plain install.
WITHOUT_JWT = """
import sys
sys.modules["jwt"] = None
from importlib.metadata import entry_points
(ep,) = [e for e in entry_points(group="console_scripts") if e.name == "msgraph-emulator"]
sys.argv = ["msgraph-emulator", "serve"]
sys.exit(ep.load()())
"""


def test_the_console_script_without_the_extra_names_the_extra_in_one_line():
    r = subprocess.run([sys.executable, "-c", WITHOUT_JWT], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "pulumi-msgraph-membership[emulator]" in lines[0] and "jwt" in lines[0]
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_python_dash_m_without_the_extra_says_the_same():
    code = ("import sys, runpy; sys.modules['jwt'] = None; sys.argv = ['x', 'serve'];"
            "runpy.run_module('msgraph_membership.emulator', run_name='__main__')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    assert "[emulator]" in r.stderr

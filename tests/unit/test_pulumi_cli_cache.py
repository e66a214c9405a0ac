"""scripts/pulumi-cli.sh's clean-up of its cache: plugin copies no run uses any more (the old ones in
`bin/`, other versions' `bin-<hash>/`, interrupted runs' `.bin.*`) go; the directory it prints, the
builds, anything changed in the last 7 days and anything a running process was started from stay.

The builds are stand-ins (a `pulumi` that answers `version` with the pinned version), so the script
takes its no-build path; what is checked is only what it leaves in the cache."""
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "scripts" / "pulumi-cli"
VERSION = re.search(r"github.com/pulumi/pulumi/pkg/v3 (v[0-9.]+)", (SRC / "go.mod").read_text()).group(1)
OLD_COPIES = ["language_host.py", "dynamic_provider.py", "sdk_check.py", "pulumi-language-python",
              "pulumi-resource-pulumi-python"]
EIGHT_DAYS = 8 * 24 * 3600

pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists() or shutil.which("flock") is None,
                                reason="the clean-up needs /proc and flock (Linux)")


def age(path: Path, seconds: float = EIGHT_DAYS) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


@pytest.fixture
def cache(tmp_path) -> Path:
    """A cache whose builds are done: the script builds nothing."""
    cache = tmp_path / "pulumi-msgraph-membership" / f"pulumi-{VERSION}"
    (cache / "bin").mkdir(parents=True)
    (cache / "module" / "projectvenv").mkdir(parents=True)
    (cache / "bin" / "pulumi").write_text(f"#!/bin/sh\necho {VERSION}\n")
    (cache / "bin" / "pulumi-project-virtualenv").write_text("#!/bin/sh\n")
    for built in ("pulumi", "pulumi-project-virtualenv"):
        (cache / "bin" / built).chmod(0o755)
    shutil.copy(SRC / "go.sum", cache / "module" / "go.sum")
    shutil.copy(SRC / "projectvenv" / "main.go", cache / "module" / "projectvenv" / "main.go")
    return cache


def old_dir(cache: Path, name: str, seconds: float = EIGHT_DAYS) -> Path:
    d = cache / name
    d.mkdir()
    (d / "pulumi-language-python").write_text("#!/bin/sh\n")
    age(d / "pulumi-language-python", seconds)
    age(d, seconds)
    return d


def run_script(cache: Path) -> Path:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parents[1])}
    res = subprocess.run(["bash", str(REPO / "scripts" / "pulumi-cli.sh")], env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    printed = Path(res.stdout.strip().splitlines()[-1])
    assert printed.parent == cache and (printed / "pulumi-resource-pulumi-python").exists()
    return printed


def test_plugins_no_run_uses_are_removed_and_the_printed_directory_and_builds_stay(cache):
    for name in OLD_COPIES:
        (cache / "bin" / name).write_text("old\n")
        age(cache / "bin" / name)
    gone = [old_dir(cache, "bin-0123456789ab"), old_dir(cache, ".bin.Xy12Ab")]
    printed = run_script(cache)
    assert sorted(p.name for p in (cache / "bin").iterdir()) == ["pulumi", "pulumi-project-virtualenv"]
    assert [d.exists() for d in gone] == [False, False]
    assert sorted(p.name for p in cache.iterdir() if p.name.startswith(("bin", ".bin"))) == ["bin", printed.name]
    # the next run keeps and prints the same directory
    assert run_script(cache) == printed and printed.is_dir()


def test_what_changed_lately_or_a_process_runs_from_stays(cache):
    recent = old_dir(cache, "bin-recent000000", seconds=2 * 24 * 3600)  # a shell may have it on PATH
    busy = old_dir(cache, "bin-busy00000000")
    shutil.copy(shutil.which("sleep"), busy / "sleep")
    age(busy)
    for name in OLD_COPIES:
        (cache / "bin" / name).write_text("old\n")
        age(cache / "bin" / name)
    os.utime(cache / "bin" / "sdk_check.py")  # an old checkout's run wrote it just now
    proc = subprocess.Popen([str(busy / "sleep"), "60"])
    try:
        run_script(cache)
        assert recent.is_dir() and busy.is_dir()
        assert all((cache / "bin" / name).exists() for name in OLD_COPIES)
    finally:
        proc.kill()
        proc.wait()
    run_script(cache)  # nothing runs from it now
    assert not busy.exists() and recent.is_dir()
    assert all((cache / "bin" / name).exists() for name in OLD_COPIES)  # sdk_check.py is still recent

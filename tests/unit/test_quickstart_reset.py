"""`bash scripts/quickstart.sh reset` starts over: the emulator's directories and the stack state
go, the test CA stays (nothing to re-trust), and nothing else is touched."""
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "quickstart.sh"


def test_reset_removes_emulator_directories_and_stack_state_only(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "quickstart.sh")
    emulator = tmp_path / ".emulator"
    (emulator / "tls").mkdir(parents=True)
    for name in ("quickstart.db", "batch.db", "batch.db-wal", "batch.db-shm", "ready.json", "emulator.log",
                 "tls/ca.pem"):
        (emulator / name).write_text("x")
    state = tmp_path / ".pulumi-state" / ".pulumi" / "stacks" / "msgraph-quickstart"
    state.mkdir(parents=True)
    (state / "quickstart.json").write_text("{}")
    (tmp_path / "Pulumi.yaml").write_text("name: keep\n")

    out = subprocess.run(["bash", str(tmp_path / "scripts" / "quickstart.sh"), "reset"],
                         capture_output=True, text=True, timeout=60)

    assert out.returncode == 0, out.stderr
    assert "Reset" in out.stdout
    assert not (tmp_path / ".pulumi-state").exists()
    assert sorted(p.name for p in emulator.iterdir()) == ["tls"]
    assert (emulator / "tls" / "ca.pem").exists() and (tmp_path / "Pulumi.yaml").exists()


def test_a_second_quick_start_in_the_same_checkout_is_refused_saying_why(tmp_path):
    import fcntl
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "quickstart.sh")
    (tmp_path / ".emulator").mkdir()
    (tmp_path / ".emulator" / "ready.json").write_text("{}")
    with open(tmp_path / ".emulator" / "quickstart.lock", "w") as held:  # a first quick start runs
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        out = subprocess.run(["bash", str(tmp_path / "scripts" / "quickstart.sh"), "reset"],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "Another bash scripts/quickstart.sh is running in this checkout" in out.stderr
    assert (tmp_path / ".emulator" / "ready.json").exists()  # nothing was touched
    after = subprocess.run(["bash", str(tmp_path / "scripts" / "quickstart.sh"), "reset"],
                           capture_output=True, text=True, timeout=60)
    assert after.returncode == 0, after.stderr

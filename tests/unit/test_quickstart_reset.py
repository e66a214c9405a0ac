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

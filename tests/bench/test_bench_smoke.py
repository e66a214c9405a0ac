"""CI smoke of the benchmark (bench/run.py): every scenario runs end to end at a small size, the outputs are written and well-formed, and the request counts stay within the
targets (bench/README.md, "Targets") scaled down to N = 50. No timing is asserted: the figures are not timed tests.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

N = 50
SINGLES = 20


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from bench import run

    out = tmp_path_factory.mktemp("bench")
    res = run.run([N], runs=1, latency_ms=0, out_dir=out, singles=SINGLES, import_runs=2, log=lambda _: None)
    return res, out


def row(res, scenario, phase):
    return next(r for r in res["scenarios"] if r["scenario"] == scenario and r["phase"] == phase)


def test_outputs_are_written_and_well_formed(results):
    res, out = results
    doc = json.loads((out / "results.json").read_text())
    assert {"meta", "scenarios", "targets", "import", "provider_bytes"} <= doc.keys()
    phases = {(r["scenario"], r["phase"]) for r in doc["scenarios"]}
    owners = {("GroupOwners", p) for p in ("create", "refresh", "destroy")}  # owners of SINGLES
    assert owners <= phases
    phases -= owners
    assert phases == {("GroupMembers", p) for p in ("create", "refresh", "update", "destroy")} | {
        (s, p) for s in ("GroupMember", "AdministrativeUnitMembers", "AdministrativeUnitMember")
        for p in ("create", "refresh", "destroy")}
    for r in doc["scenarios"]:
        o = r["ours"]
        assert o["requests"] >= 1 and o["wall_s"] > 0 and o["peak_rss_mb"] > 10, r
        assert o["token_requests"] >= 1, "each fresh provider signs in once"
    md = (out / "results.md").read_text()
    assert "| scenario | N | phase |" in md and "## Targets" in md
    assert md.count("| GroupMembers | 50 |") == 4


def test_request_counts_within_the_targets_scaled_to_n50(results):
    res, _ = results
    # The targets at N = 1000: create <= 60, refresh <= 2, update <= 20, destroy <= 60. The writes
    # scale with N (20 members per request), so at N = 50 a create or destroy needs ~3 writes.
    assert row(res, "GroupMembers", "create")["ours"]["requests"] <= 10
    assert row(res, "GroupMembers", "refresh")["ours"]["requests"] <= 2
    assert row(res, "GroupMembers", "update")["ours"]["requests"] <= 10
    assert row(res, "GroupMembers", "destroy")["ours"]["requests"] <= 10
    assert row(res, "GroupMember", "refresh")["ours"]["requests"] <= 5
    # Owners: one $ref each, $batch of 20: SINGLES = 20 owners is one write, plus the reads around it.
    assert row(res, "GroupOwners", "create")["ours"]["requests"] <= 6
    assert row(res, "GroupOwners", "refresh")["ours"]["requests"] <= 2
    assert row(res, "GroupOwners", "destroy")["ours"]["requests"] <= 4
    assert max(res["provider_bytes"].values()) <= 256


@pytest.mark.cli
def test_cli_benchmark_runs_every_scenario_with_the_real_pulumi():
    """bench/cli.py at its quick sizes: every scenario completes and its counts are what the
    scenario implies (each command did its resources; a preview writes nothing it need not)."""
    from bench import cli

    res = cli.run(members=100, singles=20, latency_ms=0, log=lambda _: None)
    assert set(res) == {"pulumi preview of examples/quickstart", "pulumi up of examples/batch",
                        "pulumi up: GroupMembers of 100", "pulumi destroy: GroupMembers of 100",
                        "pulumi up: 20 GroupMember", "pulumi destroy: 20 GroupMember"}
    assert res["pulumi up: 20 GroupMember"]["resources"] == 20
    assert res["pulumi destroy: 20 GroupMember"]["resources"] == 20
    assert res["pulumi up: GroupMembers of 100"]["resources"] == 1
    # 100 members in chunks of 20: at most 5 PATCHes plus the reads around them.
    assert 5 <= res["pulumi up: GroupMembers of 100"]["graph_requests"] <= 15
    assert all(v["graph_requests"] > 0 for v in res.values())

"""The report code of bench/real.py (bench/real_report.py) and the stacks it writes
(bench/real_sides.py): no CLI, no emulator."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import real_report as R  # noqa: E402
from bench.real_sides import tofu_config  # noqa: E402

TOFU_ERROR = """\
azuread_group_member.m["x"]: Creating...
\x1b[31m╷\x1b[0m
\x1b[31m│\x1b[0m \x1b[1m\x1b[31mError: \x1b[0m\x1b[1mA resource with the ID "g/member/x" already exists\x1b[0m
\x1b[31m│\x1b[0m
\x1b[31m│\x1b[0m   with azuread_group_member.m["x"],
\x1b[31m╵\x1b[0m
"""
PULUMI_OK = """\
Updating (bench):
     Type                         Name        Status
 +   pulumi:pulumi:Stack          bench-real  created
Resources:
    + 2 created

Duration: 3s
"""


def fig(phase: str, wall: float, req: int, n: int = 200, rc: int = 0, **extra) -> dict:
    return {"scenario": "memberships", "side": "ours", "kind": "GroupMember", "n": n, "scenario_n": 200,
            "phase": phase, "wall_s": wall, "requests": req, "rc": rc, "peak_mb": 80.4,
            "by_kind": {"POST /v1.0/$batch": req}, **extra}


def test_excerpt_keeps_the_error_and_drops_colours_and_box_lines():
    text = R.excerpt(TOFU_ERROR)
    assert text.splitlines()[0] == 'Error: A resource with the ID "g/member/x" already exists'
    assert "\x1b" not in text and "╷" not in text and 'with azuread_group_member.m["x"],' in text


def test_excerpt_without_an_error_is_the_summary_and_is_bounded():
    assert R.excerpt(PULUMI_OK) == "Resources:\n+ 2 created\nDuration: 3s"
    assert len(R.excerpt("error: " + "x" * 5000, limit=100)) == 100


def test_outcome_of_a_cut_and_rerun_and_of_a_throttled_run():
    row = {"up": {"rc": 0, "throttled": 3}, "members_after": 20,
           "cut": {"wall_s": 4.2, "killed": True, "members_after_cut": 5}}
    assert R.outcome(row) == ("killed at 4.2 s with 5 member(s) written; re-run succeeded; 20 member(s) in "
                              "the group after; 3 answer(s) were 429")
    assert R.outcome({"up": {"rc": 1}, "members_after": 0}) == "failed (exit 1); 0 member(s) in the group after"


def test_scenario_table_one_line_per_side_and_size_with_per_resource_destroy():
    rows = [fig("up", 15.3, 401), fig("preview", 2.3, 0), fig("refresh", 1.6, 1),
            fig("destroy", 100.0, 30, n=5, side="x")]
    table = R.scenario_table(rows)
    assert len(table) == 4  # header, rule, ours ×200, x ×5
    assert table[2] == ("| ours: `GroupMember` ×200 | 15.3 s, 401 req, 80 MB | 2.3 s, 0 req, 80 MB | "
                        "1.6 s, 1 req, 80 MB | – |")
    assert table[3].endswith("100.0 s, 30 req, 80 MB; 20.0 s per resource |")


def test_a_repeated_phase_says_its_median_of_how_many():
    assert R._cell(fig("preview", 2.3, 0, runs_s=[2.1, 2.3, 2.9])).endswith("80 MB (median of 3)")
    assert "median" not in R._cell(fig("preview", 2.3, 0, runs_s=[2.3]))


def test_a_failed_phase_shows_its_exit_code_but_a_plan_with_changes_does_not():
    assert "(exit 1)" in R._cell(fig("up", 1, 1, rc=1))
    assert "exit" not in R._cell(fig("preview", 1, 1, rc=2))


def test_markdown_has_every_scenario_and_behaviour():
    results = {"meta": {"date": "d", "versions": {"OpenTofu": "v1.12.6"}, "pulumi": "v3", "latency_ms": 50.0,
                        "machine": "x86_64", "cpus": 2, "python": "3.11", "duration_s": 10, "command": "c",
                        "waits": 5},
               "rows": [fig("up", 15.3, 401),
                        {"behaviour": "missing", "what": "a member that does not exist", "side": "ours", "n": 1,
                         "up": {"rc": 255, "printed": "error: no such | member"}, "members_after": 0}]}
    md = R.markdown(results)
    assert "OpenTofu v1.12.6" in md and "## Memberships of one group (n = 200)" in md
    assert "| a member that does not exist | ours | failed (exit 255); 0 member(s) in the group after | " \
           "error: no such \\| member |" in md


def test_tofu_config_declares_each_kind():
    spec = {"kind": "azuread.GroupMember", "group": "g", "members": ["a", "b"]}
    assert 'resource "azuread_group_member" "m"' in tofu_config(spec) and '["a", "b"]' in tofu_config(spec)
    big = tofu_config({"kind": "azuread.Group", "unit": "u", "members": ["a"]})
    assert 'administrative_unit_ids = ["u"]' in big and "members = local.members" in big
    unit = tofu_config({"kind": "azuread.AdministrativeUnitMember", "unit": "u", "members": ["a"]})
    assert 'administrative_unit_object_id = "u"' in unit


def test_chart_is_a_png(tmp_path):
    import pytest

    pytest.importorskip("matplotlib", reason="the chart needs the `bench` extra")
    results = {"meta": {"versions": {"OpenTofu": "v1.12.6"}, "latency_ms": 50.0},
               "rows": [fig("up", 15.3, 401), fig("destroy", 100.0, 30, n=5, side="x")]}
    R.chart(results, tmp_path / "real.png")
    assert (tmp_path / "real.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_peak_memory_counts_the_commands_own_processes_only():
    import subprocess

    from bench.procmem import PeakMemory, command_holds

    code = "x = bytearray(60_000_000); import time; time.sleep(1.0)"
    # a bigger process with the same command line, not under the watched command
    other = subprocess.Popen([sys.executable, "-c", "y = bytearray(120_000_000); " + code])
    try:
        with PeakMemory({"watched": command_holds("bytearray(60_000_000)")}) as mem:
            proc = subprocess.Popen(["sh", "-c", f'"{sys.executable}" -c "{code}"; true'])
            mem.root = proc.pid
            proc.wait()
    finally:
        other.wait()
    assert 57 <= mem.mb("watched") < 110


def test_excerpt_prefers_errors_to_warnings():
    out = "warning: using pulumi-resource-azuread from $PATH\nstep\nerror: the stack is locked\nhow to fix\n"
    assert R.excerpt(out) == "error: the stack is locked\nhow to fix"
    assert R.excerpt("warning: only this\n") == "warning: only this"


def test_a_write_is_a_change_and_getbyids_is_not():
    from bench.real import is_write

    assert is_write({"kind": "graph", "method": "POST", "path": "/v1.0/groups/g/members/$ref"})
    assert is_write({"kind": "graph", "method": "PATCH", "path": "/v1.0/groups/g"})
    assert not is_write({"kind": "graph", "method": "POST", "path": "/v1.0/directoryObjects/getByIds"})
    assert not is_write({"kind": "token", "method": "POST", "path": "/t/oauth2/v2.0/token"})


def test_request_kinds_fold_ids_and_name_query_options_even_encoded():
    from bench.run import request_kind

    g = "0b0e0c00-0000-4000-8000-000000000001"
    assert request_kind({"method": "GET", "path": f"/beta/groups/{g}/members?%24filter=id+eq+%27x%27"}) == \
        "GET /beta/groups/{id}/members?$filter"
    assert request_kind({"method": "GET", "path": f"/v1.0/groups/{g}/members?$select=id&$top=999"}) == \
        "GET /v1.0/groups/{id}/members"


def test_no_chart_for_behaviours_only(tmp_path):
    R.chart({"meta": {"versions": {}, "latency_ms": 0}, "rows": [{"behaviour": "x"}]}, tmp_path / "real.png")
    assert not (tmp_path / "real.png").exists()

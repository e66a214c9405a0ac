"""The files every bench script writes (bench/report.py `write_results`, used by bench/run.py,
big.py, cli.py and real.py): `<name>.json` and `<name>.md` in the output folder, in the format the
committed bench/results files have."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import markdown, write_all, write_results  # noqa: E402

DOC = {"meta": {"pulumi": "v3.274.1", "date": "2026-12-02"},
       "results": {"pulumi up: GroupMembers of 100": {"seconds": 4.2, "graph_requests": 9}}}


def test_json_and_markdown_are_written_into_a_new_folder_and_the_markdown_returned(tmp_path):
    out = tmp_path / "a" / "b"
    text = "| command | wall time |\n|---|---:|\n"
    assert write_results(out, "cli", DOC, text) == text
    assert sorted(p.name for p in out.iterdir()) == ["cli.json", "cli.md"]
    written = (out / "cli.json").read_text()
    assert json.loads(written) == DOC
    assert written.startswith('{\n  "meta": {\n    "pulumi"') and written.endswith("}\n")
    assert (out / "cli.md").read_text() == text


def test_indent_one_as_real_json_has_it(tmp_path):
    write_results(tmp_path, "real-behaviours", DOC, "x\n", indent=1)
    written = (tmp_path / "real-behaviours.json").read_text()
    assert written.startswith('{\n "meta": {\n  "pulumi"') and json.loads(written) == DOC


def test_values_json_cannot_hold_need_a_default(tmp_path):
    doc = {"meta": {"out": tmp_path}}
    with pytest.raises(TypeError):
        write_results(tmp_path, "results", doc, "")
    write_results(tmp_path, "results", doc, "", default=str)
    assert json.loads((tmp_path / "results.json").read_text()) == {"meta": {"out": str(tmp_path)}}


def test_bench_run_outputs_are_written_through_it(tmp_path):
    results = {"meta": {"date": "2026-12-02", "commit": "abc1234", "python": "3.12.3", "machine": "x86_64",
                        "cpus": 2, "command": "bench/run.py --quick", "latency_ms": 0, "runs": 1,
                        "engine_workers": 8, "where": tmp_path},
               "scenarios": [], "targets": []}
    write_all(results, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["meta"]["where"] == str(tmp_path)
    assert (tmp_path / "results.md").read_text() == markdown(results)

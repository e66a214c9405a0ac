"""bench/run.py's outputs: the targets (PASS/MISS), results.json and results.md; and the writing of
every bench script's `<name>.json` and `<name>.md` (`write_results`: bench/run.py, big.py, cli.py,
real.py; the comparison with the real azuread providers itself is bench/real_report.py's)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

TARGET_N = 1000


def _row(results: dict, scenario: str, phase: str, n: int | None = None) -> dict | None:
    for r in results["scenarios"]:
        if r["scenario"] == scenario and r["phase"] == phase and (n is None or r["n"] == n):
            return r
    return None


def evaluate_targets(results: dict) -> list[dict]:
    """The benchmark's targets (bench/README.md, "Targets"), each PASS, MISS or n/a (the scenario
    was not run)."""
    out: list[dict] = []

    def target(name: str, value, limit, ok) -> None:
        if value is None:
            out.append({"target": name, "value": None, "limit": limit, "status": "n/a"})
        else:
            out.append({"target": name, "value": value, "limit": limit, "status": "PASS" if ok(value) else "MISS"})

    def fig(phase, key, scenario="GroupMembers", n=TARGET_N, where="ours"):
        r = _row(results, scenario, phase, n)
        if r is None:
            return None
        return r[where][key]

    at = f"GroupMembers N={TARGET_N}"
    target(f"{at} create: Graph requests <= 60", fig("create", "requests"), 60, lambda v: v <= 60)
    target(f"{at} create: wall time <= 3 s", fig("create", "wall_s"), 3.0, lambda v: v <= 3.0)
    target(f"{at} refresh: Graph requests <= 2", fig("refresh", "requests"), 2, lambda v: v <= 2)
    target(f"{at} destroy: Graph requests <= 60", fig("destroy", "requests"), 60, lambda v: v <= 60)
    target(f"{at} destroy: wall time <= 3 s", fig("destroy", "wall_s"), 3.0, lambda v: v <= 3.0)
    target(f"{at} update +10%/-10%: Graph requests <= 20", fig("update", "requests"), 20, lambda v: v <= 20)
    singles = results["meta"].get("singles", 200)
    target(f"{singles} GroupMember refresh: Graph requests <= 5 in all",
           fig("refresh", "requests", scenario="GroupMember", n=singles), 5, lambda v: v <= 5)
    imp = results.get("import")
    target("import msgraph_membership adds <= 150 ms to import pulumi", imp and imp["added_ms"], 150,
           lambda v: v <= 150)
    sizes = results.get("provider_bytes")
    target("serialized provider <= 256 bytes (largest resource)", sizes and max(sizes.values()), 256,
           lambda v: v <= 256)
    return out


# -- results.md -------------------------------------------------------------------------------------

def _n(v, digits=0) -> str:
    if v is None:
        return "–"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def markdown(results: dict) -> str:
    m = results["meta"]
    lines = [
        "# Benchmark results",
        "",
        f"- date: {m['date']}; commit {m.get('commit')}; Python {m['python']} on {m['machine']} ({m['cpus']} CPUs)",
        f"- command: `{m['command']}`",
        f"- emulator latency {m['latency_ms']:g} ms per Graph request; ours: median of {m['runs']} run(s), each phase "
        f"in a fresh provider process; {m['engine_workers']} concurrent calls for the single-membership resources",
        "- the real azuread providers, command to end, are in real.md (bench/real.py)",
        "",
        "| scenario | N | phase | requests | wall s | token req. | peak RSS MB |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in results["scenarios"]:
        o = r["ours"]
        lines.append(f"| {r['scenario']} | {r['n']:,} | {r['phase']} | {_n(o['requests'])} | {_n(o['wall_s'], 2)} "
                     f"| {_n(o.get('token_requests'))} | {_n(o.get('peak_rss_mb'), 0)} |")
    imp, sizes = results.get("import"), results.get("provider_bytes")
    lines += [""]
    if imp:
        lines.append(f"- import: `import pulumi` {imp['pulumi_ms']:.0f} ms; `import msgraph_membership` after it adds "
                     f"{imp['added_ms']:.0f} ms (median of {imp['runs']} fresh interpreters)")
    if sizes:
        lines.append("- serialized provider (`__provider` in state, base64): "
                     + ", ".join(f"{k} {v} B" for k, v in sizes.items()))
    lines += ["", "## Targets", ""]
    for t in results.get("targets", []):
        v = t["value"]
        shown = "–" if v is None else (f"{v:,.2f}" if isinstance(v, float) else f"{v:,}")
        lines.append(f"- **{t['status']}** {t['target']}: {shown}")
    lines += ["", "## Requests by kind (ours, median run)", ""]
    for r in results["scenarios"]:
        kinds = "; ".join(f"{k}: {c}" for k, c in r["ours"]["by_kind"].items())
        lines.append(f"- {r['scenario']} N={r['n']} {r['phase']}: {kinds}")
    return "\n".join(lines) + "\n"


def write_results(out_dir: Path, name: str, data: dict, text: str, *, indent: int = 2,
                  default: Callable[[Any], Any] | None = None) -> str:
    """Every bench script's outputs: `data` as `<name>.json` (indented by `indent`, a newline at the
    end; `default` as json.dumps takes it) and `text` as `<name>.md`, in `out_dir` (made if need be).
    Returns `text`, which the scripts print."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.json").write_text(json.dumps(data, indent=indent, default=default) + "\n")
    (out_dir / f"{name}.md").write_text(text)
    return text


def write_all(results: dict, out_dir: Path) -> None:
    write_results(out_dir, "results", results, markdown(results), default=str)

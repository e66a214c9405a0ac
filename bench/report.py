"""Benchmark outputs: ratios, the issue's targets (PASS/MISS), results.json, results.md and a PNG.

Ratios are baseline / ours, so "12×" means the baseline needs 12 times more requests (or time).
A baseline figure that was extrapolated from a measured sample is marked `*` everywhere.
"""
from __future__ import annotations

import json
from pathlib import Path

TARGET_N = 1000


def _ratio(base, ours):
    if base is None or ours is None:
        return None
    return base / ours if ours > 0 else float("inf")


def add_ratios(results: dict) -> None:
    for row in results["scenarios"]:
        o, b = row["ours"], row.get("baseline")
        if not b:
            row["ratio"] = None
            continue
        row["ratio"] = {"requests": _ratio(b["requests"], o["requests"]),
                        "wall": _ratio(b["wall_s"], o["wall_s"]),
                        "wall_with_waits": _ratio(b["wall_with_waits_s"], o["wall_s"])}


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
        return r[where][key] if where != "ratio" else (r["ratio"] or {}).get(key)

    at = f"GroupMembers N={TARGET_N}"
    target(f"{at} create: Graph requests <= 60", fig("create", "requests"), 60, lambda v: v <= 60)
    target(f"{at} create: wall time <= 3 s", fig("create", "wall_s"), 3.0, lambda v: v <= 3.0)
    target(f"{at} refresh: Graph requests <= 2", fig("refresh", "requests"), 2, lambda v: v <= 2)
    target(f"{at} destroy: Graph requests <= 60", fig("destroy", "requests"), 60, lambda v: v <= 60)
    target(f"{at} destroy: wall time <= 3 s", fig("destroy", "wall_s"), 3.0, lambda v: v <= 3.0)
    target(f"{at} update +10%/-10%: Graph requests <= 20", fig("update", "requests"), 20, lambda v: v <= 20)
    for phase in ("create", "refresh", "update", "destroy"):
        target(f"{at} {phase}: >= 15x fewer requests than the baseline", fig(phase, "requests", where="ratio"),
               15, lambda v: v >= 15)
        target(f"{at} {phase}: >= 10x less wall time than the baseline (without its modelled waits)",
               fig(phase, "wall", where="ratio"), 10, lambda v: v >= 10)
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


def _x(v) -> str:
    if v is None:
        return "–"
    if v == float("inf"):
        return "∞"
    return f"{v:,.1f}×" if v < 100 else f"{v:,.0f}×"


def markdown(results: dict) -> str:
    m = results["meta"]
    lines = [
        "# Benchmark results",
        "",
        f"- date: {m['date']}; commit {m.get('commit')}; Python {m['python']} on {m['machine']} ({m['cpus']} CPUs)",
        f"- command: `{m['command']}`",
        f"- emulator latency {m['latency_ms']:g} ms per Graph request; ours: median of {m['runs']} run(s), each phase "
        f"in a fresh provider process; {m['engine_workers']} concurrent calls for the single-membership resources",
        "- baseline: the terraform-azuread v3 call pattern (bench/baseline.py), 1 run; `*` = extrapolated from a "
        f"measured sample (at most ~{m['baseline_budget']} requests per phase are sent for real)",
        "- ratios are baseline ÷ ours. Baseline wall time is given without and with its modelled waits "
        "(WaitForDeletion / WaitForUpdate: ≥ 20 s each, counted, not slept)",
        "",
        "| scenario | N | phase | requests (ours) | requests (baseline) | × fewer | wall s (ours) | wall s (baseline, no waits) "
        "| × faster | wall s (baseline + modelled waits) | × faster incl. waits | token req. (ours) | peak RSS MB (ours) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["scenarios"]:
        o, b, q = r["ours"], r.get("baseline") or {}, r.get("ratio") or {}
        star = "*" if b.get("extrapolated") else ""
        lines.append(
            f"| {r['scenario']} | {r['n']:,} | {r['phase']} | {_n(o['requests'])} | {_n(b.get('requests'))}{star} "
            f"| {_x(q.get('requests'))} | {_n(o['wall_s'], 2)} | {_n(b.get('wall_s'), 1)}{star} | {_x(q.get('wall'))} "
            f"| {_n(b.get('wall_with_waits_s'), 0)}{star} | {_x(q.get('wall_with_waits'))} | {_n(o.get('token_requests'))} "
            f"| {_n(o.get('peak_rss_mb'), 0)} |")
    imp, sizes = results.get("import"), results.get("provider_bytes")
    lines += [""]
    if imp:
        lines.append(f"- import: `import pulumi` {imp['pulumi_ms']:.0f} ms; `import msgraph_membership` after it adds "
                     f"{imp['added_ms']:.0f} ms (median of {imp['runs']} fresh interpreters)")
    if sizes:
        lines.append("- serialized provider (`__provider` in state, base64): "
                     + ", ".join(f"{k} {v} B" for k, v in sizes.items()))
    forms = {r["baseline"].get("filter_form") for r in results["scenarios"] if r.get("baseline")} - {None}
    if False in forms:
        lines.append("- the emulator refuses `$filter=id eq` on `/members`, so the baseline's filtered GETs were sent as "
                     "`GET .../members/{id}` (same count: one request per check)")
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


# -- results.png ------------------------------------------------------------------------------------

def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["scenarios"]
    short = {"GroupMembers": "GMs", "GroupMember": "GM", "AdministrativeUnitMembers": "AUMs",
             "AdministrativeUnitMember": "AUM"}
    labels = [f"{short.get(r['scenario'], r['scenario'])} {r['n']:,}\n{r['phase']}" for r in rows]
    x = list(range(len(rows)))
    fig, axes = plt.subplots(2, 1, figsize=(max(12, 0.75 * len(rows) + 3), 9), sharex=True)
    w = 0.27
    specs = [
        ("Graph requests (log)", [("ours", lambda r: r["ours"]["requests"]),
                                  ("azuread v3 pattern", lambda r: (r.get("baseline") or {}).get("requests"))]),
        ("wall time, s (log)", [("ours", lambda r: r["ours"]["wall_s"]),
                                ("azuread v3 pattern", lambda r: (r.get("baseline") or {}).get("wall_s")),
                                ("azuread + modelled waits", lambda r: (r.get("baseline") or {}).get("wall_with_waits_s"))]),
    ]
    colors = ["#2b7bba", "#d95f02", "#f4a582"]
    for ax, (title, series) in zip(axes, specs):
        k = len(series)
        for j, (name, get) in enumerate(series):
            vals = [get(r) or 0 for r in rows]
            pos = [i + (j - (k - 1) / 2) * w for i in x]
            bars = ax.bar(pos, vals, w, label=name, color=colors[j])
            if j > 0:  # hatch the extrapolated baseline figures
                for bar, r in zip(bars, rows):
                    if (r.get("baseline") or {}).get("extrapolated"):
                        bar.set_hatch("//")
                        bar.set_edgecolor("white")
        ax.set_yscale("log")
        ax.set_ylabel(title)
        ax.grid(axis="y", which="major", alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    for i, r in enumerate(rows):  # the ratio (baseline ÷ ours) above each group
        b, q = r.get("baseline") or {}, r.get("ratio") or {}
        for ax, key, top in ((axes[0], "requests", max(r["ours"]["requests"], b.get("requests") or 0)),
                             (axes[1], "wall", max(r["ours"]["wall_s"], b.get("wall_with_waits_s") or 0))):
            if q.get(key):
                ax.annotate(_x(q[key]), (i, top), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
    for ax in axes:  # a thin line between scenarios
        for i in range(1, len(rows)):
            if (rows[i]["scenario"], rows[i]["n"]) != (rows[i - 1]["scenario"], rows[i - 1]["n"]):
                ax.axvline(i - 0.5, color="grey", lw=0.5, alpha=0.5)
        ax.set_ylim(top=ax.get_ylim()[1] * 3)
    axes[1].set_xticks(x)
    axes[1].set_xticklabels(labels, fontsize=7)
    m = results["meta"]
    fig.suptitle(f"msgraph-membership vs the terraform-azuread v3 call pattern — emulator, {m['latency_ms']:g} ms per "
                 f"request, median of {m['runs']} run(s); hatched = extrapolated baseline", fontsize=10)
    fig.text(0.5, 0.005, "GMs = one GroupMembers of N; GM = N GroupMember, 4 calls at a time; AUMs = one "
             "AdministrativeUnitMembers; AUM = N AdministrativeUnitMember, 4 at a time. Ratios: baseline ÷ ours "
             "(wall: without the baseline's modelled waits)", ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_all(results: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / "results.md").write_text(markdown(results))
    chart(results, out_dir / "results.png")

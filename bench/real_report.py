"""bench/real.py's report: what a command printed, in a few lines; a behaviour row's outcome; and
real.md, the tables of every scenario and behaviour, from the results (real.json)."""
from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ERROR = re.compile(r"(^|\s)(error|Error)[:\s]")
_WARNING = re.compile(r"(^|\s)(warning|Warning)[:\s]")
PHASES = ("up", "preview", "refresh", "destroy")
PHASE_TITLES = {"up": "up / apply", "preview": "no-change preview / plan", "refresh": "refresh", "destroy": "destroy"}
SCENARIO_TITLES = {
    "memberships-small": "Memberships of one group, small",
    "memberships": "Memberships of one group",
    "memberships-previews": "Memberships of one group, without destroy",
    "big-group": "One group of many members (azuread: `azuread_group` with `members`; ours: "
                 "`AdministrativeUnitGroup` + `GroupMembers`), created in a unit",
    "unit-members": "Administrative-unit members",
}


def excerpt(out: str, limit: int = 600) -> str:
    """The lines of a command's output that say what went wrong: its errors (with the two lines
    after each), else its warnings, else its last three non-blank lines (the summary)."""
    lines = [_ANSI.sub("", line).rstrip() for line in out.splitlines()]
    lines = [line for line in lines if line.strip() and not set(line.strip()) <= set("│╷╵─ ")]
    for pattern in (_ERROR, _WARNING):
        keep: list[str] = []
        for i, line in enumerate(lines):
            if pattern.search(line):
                for extra in lines[i:i + 3]:
                    if extra not in keep:
                        keep.append(extra)
        if keep:
            break
    text = "\n".join(line.strip(" │") for line in (keep or lines[-3:]))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def outcome(row: dict) -> str:
    """One phrase for a behaviour row: the (re-)run's exit code and the members left."""
    up = row["up"]
    status = "succeeded" if up["rc"] == 0 else f"failed (exit {up['rc']})"
    text = f"{status}; {row['members_after']} member(s) in the group after"
    if "cut" in row:
        cut = row["cut"]
        killed = "killed" if cut["killed"] else "finished before the kill"
        locked = ("the re-run found the stack locked; after `pulumi cancel --yes` the next "
                  if "locked_up" in row else "re-run ")
        text = f"{killed} at {cut['wall_s']} s with {cut['members_after_cut']} member(s) written; {locked}" + text
    if up.get("throttled"):
        text += f"; {up['throttled']} answer(s) were 429"
    return text


def _cell(fig: dict | None) -> str:
    if fig is None:
        return "–"
    text = f"{fig['wall_s']:.1f} s, {fig['requests']} req"
    if fig.get("peak_mb"):
        text += f", {fig['peak_mb']:.0f} MB"
    if len(fig.get("runs_s") or ()) > 1:
        text += f" (median of {len(fig['runs_s'])})"
    if fig.get("rc") not in (0, None) and not (fig["phase"] == "preview" and fig["rc"] == 2):
        text += f" (exit {fig['rc']})"
    if fig["phase"] == "destroy" and fig["n"]:
        text += f"; {fig['wall_s'] / fig['n']:.1f} s per resource"
    return text


def _label(row: dict) -> str:
    return f"{row['side']}: `{row['kind']}` ×{row['n']}"


def scenario_table(rows: list[dict]) -> list[str]:
    """One line per (side, kind, n), one column per phase."""
    groups: dict[tuple, dict[str, dict]] = {}
    for r in rows:
        groups.setdefault((r["side"], r["kind"], r["n"]), {})[r["phase"]] = r
    out = ["| side | " + " | ".join(PHASE_TITLES[p] for p in PHASES) + " |", "|---|" + "---|" * len(PHASES)]
    for figs in groups.values():
        first = next(iter(figs.values()))
        out.append(f"| {_label(first)} | " + " | ".join(_cell(figs.get(p)) for p in PHASES) + " |")
    return out


def kinds_lines(rows: list[dict], top: int = 4) -> list[str]:
    """The commonest Graph requests of each phase that sent any."""
    out = []
    for r in rows:
        if r["requests"]:
            kinds = ", ".join(f"{k} ×{v}" for k, v in list(r["by_kind"].items())[:top])
            out.append(f"- {_label(r)}, {r['phase']}: {kinds}")
    return out


def behaviour_table(rows: list[dict]) -> list[str]:
    out = ["| behaviour | side | outcome | what it printed |", "|---|---|---|---|"]
    for r in rows:
        printed = (r["up"].get("printed") or "").replace("|", "\\|").replace("\n", "<br>")
        out.append(f"| {r['what']} | {r['side']} | {outcome(r)} | {printed} |")
    return out


def markdown(results: dict) -> str:
    meta = results["meta"]
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    lines = [f"# The real providers side by side ({meta['date']})", "",
             f"{versions}; ours at this checkout; Pulumi CLI {meta['pulumi']}. One emulator, "
             f"{meta['latency_ms']:g} ms latency per Graph request, {meta['machine']}, {meta['cpus']} cores, "
             f"Python {meta['python']}; run took {meta['duration_s']:.0f} s.", "",
             f"`{meta['command']}`", "",
             "Each cell: wall time of the command as typed (`pulumi up --yes`, `pulumi preview`, `pulumi refresh "
             "--yes`, `pulumi destroy --yes`; `tofu apply -auto-approve`, `tofu plan` (which refreshes), "
             "`tofu apply -refresh-only -auto-approve`, `tofu destroy -auto-approve`), the Graph requests the "
             "emulator logged (a `$batch` is one; token requests apart), and the provider process's peak "
             f"memory. azuread's destroys (and its unit-member adds) wait 5 polls 5 s apart per resource, one "
             f"resource of a container at a time, so they ran on {meta['waits']} resources: see the "
             "per-resource time.", ""]
    scenario_rows = [r for r in results["rows"] if "scenario" in r]
    for key in dict.fromkeys(r["scenario"] for r in scenario_rows):
        rows = [r for r in scenario_rows if r["scenario"] == key]
        lines += [f"## {SCENARIO_TITLES.get(key, key)} (n = {rows[0]['scenario_n']})", ""]
        lines += scenario_table(rows) + ["", "Graph requests by kind:", ""] + kinds_lines(rows) + [""]
    behaviours = [r for r in results["rows"] if "behaviour" in r]
    if behaviours:
        lines += ["## Behaviours", ""] + behaviour_table(behaviours) + [""]
    return "\n".join(lines)


def chart(results: dict, path) -> None:
    """real.png: wall time (log) of each phase, one panel per scenario, one bar per side and size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results["rows"] if "scenario" in r]
    keys = list(dict.fromkeys(r["scenario"] for r in rows))
    if not keys:
        return  # behaviours only: nothing to chart
    fig, axes = plt.subplots(len(keys), 1, figsize=(11, 3.2 * len(keys)), squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        mine = [r for r in rows if r["scenario"] == key]
        labels = list(dict.fromkeys(_label(r) for r in mine))
        width = 0.8 / max(len(labels), 1)
        for j, label in enumerate(labels):
            figs = {r["phase"]: r for r in mine if _label(r) == label}
            xs = [i + (j - (len(labels) - 1) / 2) * width for i, p in enumerate(PHASES) if p in figs]
            ax.bar(xs, [figs[p]["wall_s"] for p in PHASES if p in figs], width, label=label.replace("`", ""))
        ax.set_yscale("log")
        ax.set_xticks(range(len(PHASES)))
        ax.set_xticklabels([PHASE_TITLES[p] for p in PHASES])
        ax.set_ylabel("wall time, s (log)")
        ax.set_title(f"{SCENARIO_TITLES.get(key, key).split(' (')[0]} (n = {mine[0]['scenario_n']})", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(axis="y", alpha=0.3)
    meta = results["meta"]
    fig.suptitle(", ".join(f"{k} {v}" for k, v in meta["versions"].items())
                 + f"; ours; emulator at {meta['latency_ms']:g} ms per request", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

"""bench/real.py end to end at the smallest size, where the real providers are built: two
memberships of one group through every side, against the emulator, without latency.

It needs what scripts/azuread-cli.sh builds (OpenTofu, terraform-provider-azuread and
pulumi-azuread's plugin: sources and minutes of Go builds) and the pulumi-azuread Python package,
so it skips wherever they are missing, CI included, and says which is missing.
"""
from __future__ import annotations

import glob
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pulumi-msgraph-membership")


def _missing() -> str | None:
    for name in ("tofu", "terraform-provider-azuread", "pulumi-resource-azuread"):
        if not glob.glob(os.path.join(CACHE, "azuread-cli-*", "bin", name)):
            return f"{name} is not built (run scripts/azuread-cli.sh with AZUREAD_SRC and PULUMI_AZUREAD_SRC)"
    try:
        import pulumi_azuread  # noqa: F401
    except ImportError:
        return "the pulumi-azuread Python package is not installed (pip install 'pulumi-azuread==6.10.0')"
    return None


pytestmark = [pytest.mark.cli, pytest.mark.skipif(_missing() is not None, reason=_missing() or "")]


def test_every_side_applies_previews_and_refreshes_two_memberships(tmp_path):
    from bench import real

    results = real.run(real.main_args(["--only", "memberships-small", "--small", "2", "--latency-ms", "0",
                                       "--out", str(tmp_path)]))
    rows = results["rows"]
    sides = {r["side"] for r in rows}
    assert sides == {"pulumi-azuread", "terraform azuread", "ours", "ours (one GroupMembers)",
                     "floor (a do-nothing dynamic provider)"}
    assert all(r["rc"] == 0 for r in rows if r["phase"] != "preview"), [(r["side"], r["phase"], r.get("printed"))
                                                                         for r in rows if r["rc"]]
    ups = {r["side"]: r for r in rows if r["phase"] == "up"}
    # each side wrote both memberships; the floor talks to no Graph at all
    assert ups["floor (a do-nothing dynamic provider)"]["requests"] == 0
    for side in ("pulumi-azuread", "terraform azuread", "ours"):
        assert any(k.startswith("POST") or k.startswith("PATCH") for k in ups[side]["by_kind"]), ups[side]
    previews = {r["side"]: r for r in rows if r["phase"] == "preview"}
    assert previews["ours"]["requests"] == 0 and previews["pulumi-azuread"]["requests"] == 0

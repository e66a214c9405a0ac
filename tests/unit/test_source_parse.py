"""The tests' parser survives a finalizer that parses while the collector runs mid-parse."""
from __future__ import annotations

import ast
import gc
from pathlib import Path

import msgraph_membership
from harness.source import parse

SOURCE = (Path(msgraph_membership.__file__).parent / "graph" / "auth.py").read_text()


class _ParsesWhenCollected:
    """Stands for a leaked coroutine whose finalizer formats a traceback (which parses source)."""
    parsed = 0

    def __del__(self):
        ast.parse("a[b:c] + d")
        type(self).parsed += 1


def _leak_cycles(n: int) -> None:
    for _ in range(n):
        leaked = _ParsesWhenCollected()
        leaked.me = leaked


def test_a_finalizer_that_parses_cannot_break_a_parse_and_still_runs_afterwards():
    threshold = gc.get_threshold()
    gc.set_threshold(50)
    try:
        _ParsesWhenCollected.parsed = 0
        for _ in range(20):
            _leak_cycles(5)
            tree = parse(SOURCE, "auth.py")
            assert any(isinstance(n, ast.FunctionDef) and n.name == "credential_for" for n in ast.walk(tree))
        assert gc.isenabled()
        gc.collect()
        assert _ParsesWhenCollected.parsed == 100  # paused, not lost: every finalizer ran later
    finally:
        gc.set_threshold(*threshold)

"""Parsing our own sources in tests, safe from the collector.

On CPython 3.11 the AST builder keeps its depth counter per interpreter, not per call: if the
collector runs a finalizer in the middle of `ast.parse` and that finalizer parses too (3.11's
traceback formatting does, for its carets, when a leaked coroutine of the Pulumi SDK reports an
error as it is collected), the outer parse fails with "SystemError: AST constructor recursion depth
mismatch". Pausing the collector for the parse removes that window; nothing else changes.
"""
from __future__ import annotations

import ast
import gc


def parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse`, with the garbage collector paused while it runs."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(text, filename=filename)
    finally:
        if was_enabled:
            gc.enable()

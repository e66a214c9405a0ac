"""The `msgraph-emulator` console script: the command line, or one line saying which extra to
install when the emulator's dependencies are missing (a plain `pip install` installs the script
but not the `emulator` extra it needs)."""

from __future__ import annotations

import sys

# The top-level modules the `emulator` extra brings (pyproject.toml).
EXTRA_MODULES = frozenset({"jwt", "cryptography", "yaml"})
HINT = ("msgraph-emulator needs the 'emulator' extra: pip install 'pulumi-msgraph-membership[emulator]' "
        "(missing: {name})")


def main(argv: list[str] | None = None) -> int:
    try:
        from .cli import main as cli_main
    except ImportError as e:
        name = (e.name or "").split(".")[0]
        if name not in EXTRA_MODULES:
            raise
        print(HINT.format(name=name), file=sys.stderr)
        return 1
    return cli_main(argv) if argv is not None else cli_main()

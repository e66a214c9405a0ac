"""One check for both Python plugins: the Python the launcher chose has the Pulumi SDK, or the
plugin stops naming that Python and why it was chosen (instead of a bare `No module named 'grpc'`)."""
import os
import sys


def require_pulumi_sdk(plugin: str) -> None:
    try:
        import grpc  # noqa: F401  (the SDK's servers need it)
        import pulumi.runtime.proto  # noqa: F401
    except ImportError as e:
        sys.exit(f"{plugin}: the Python chosen, {sys.executable} "
                 f"({os.environ.get('PULUMI_PYTHON_CHOSEN_BY', 'python3 on PATH')}), lacks the Pulumi SDK: {e}. "
                 "Install the program's packages into it, or point the `virtualenv` runtime option of "
                 "Pulumi.yaml (or PULUMI_PYTHON_CMD) at the Python that has them.")

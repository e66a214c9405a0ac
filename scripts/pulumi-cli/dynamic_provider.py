"""Serves the program's Python dynamic resources: the SDK's own `python -m pulumi.dynamic`, run by
the `pulumi-resource-pulumi-python` launcher once sdk_check has found the SDK in its Python."""
import runpy

from sdk_check import require_pulumi_sdk

require_pulumi_sdk("pulumi-resource-pulumi-python")
runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)

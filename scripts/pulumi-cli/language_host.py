"""The Python language host (`pulumi-language-python`) of this project's Pulumi CLI build.

Why our own: the Go module of Pulumi's Python language host
(github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is not served by the module
proxy this project builds from, while the Python SDK ships the language server that the
Automation API uses for inline programs (`pulumi.automation._server.LanguageServer`). This host
is that server with the project's program as the program: the engine starts it, reads the port
it prints, and calls `Run`; the program's `__main__.py` then runs with its directory on
`sys.path` and as the working directory, as Pulumi's own host runs it.

Started by the `pulumi-language-python` launcher beside it, with the project's virtualenv Python.
"""
from __future__ import annotations

import os
import runpy
import sys
import time
from concurrent import futures

from sdk_check import require_pulumi_sdk  # beside this file

require_pulumi_sdk("pulumi-language-python")
import grpc  # noqa: E402
from pulumi.runtime.proto import language_pb2, language_pb2_grpc  # noqa: E402

try:  # the SDK's own server for inline programs (a private module: checked here, not assumed)
    from pulumi.automation._server import LanguageServer
except ImportError as e:  # pragma: no cover - depends on the installed SDK
    sys.exit(f"pulumi-language-python: this Pulumi SDK has no pulumi.automation._server.LanguageServer ({e}); "
             "install Pulumi's own distribution, or a pulumi package from 3.216 to 3.x")


def program_path(request) -> str:
    """The program to run: Pulumi.yaml's `main` (the engine resolves it into `info`), else `program`."""
    info = request.info
    if info.program_directory:
        entry = info.entry_point or "."
        return os.path.normpath(os.path.join(info.program_directory, entry))
    return os.path.abspath(request.program or request.pwd or ".")


class ProjectLanguageServer(LanguageServer):
    """Runs a project directory's program in this process, through the SDK's own run loop."""

    def __init__(self) -> None:
        super().__init__(self._run_program)
        self._path = "."

    def _run_program(self) -> None:
        runpy.run_path(self._path, run_name="__main__")

    def Run(self, request, context):
        self._path = program_path(request)
        if request.pwd:
            os.chdir(request.pwd)
        return super().Run(request, context)

    def GetProgramDependencies(self, request, context):
        return language_pb2.GetProgramDependenciesResponse()

    def InstallDependencies(self, request, context):
        # The launcher already runs inside the project's virtualenv; nothing to install.
        return iter(())


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)])
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(ProjectLanguageServer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main()

"""``msgraph-emulator``: the command line (README.md, "The local Graph emulator").

- ``serve``: run the emulator in the foreground (below: its ready line).
- ``env [--format shell|dotenv|github|json]``: the environment variables that point the provider
  at the emulator on ``--port`` (default 8443), starting one in the background when none
  answers there; ``eval "$(msgraph-emulator env)"`` before ``pulumi up``. See ``env.py``.
- ``stop``: stop the emulator on ``--port`` that ``env`` (or ``serve``) recorded (``running.py``).
- ``az``: an Azure CLI profile for the emulator on ``--port``, printed as the exports that select
  it (``AZURE_CONFIG_DIR``, ``REQUESTS_CA_BUNDLE``, and ``PATH`` with the profile's ``bin/az`` first):
  ``eval "$(msgraph-emulator az)"`` and the real ``az`` talks to the emulator (``azprofile.py``).

When ready, prints exactly one JSON line on stdout::

    {"graph_url": "https://127.0.0.1:PORT", "authority_host": "https://127.0.0.1:PORT",
     "tenant_id": ..., "client_id": ..., "client_secret": ..., "ca_bundle": ".../ca.pem",
     "base_url": "https://127.0.0.1:PORT", "admin_url": "https://127.0.0.1:PORT/_emulator", "port": PORT,
     "pid": ..., "tls_dir": ..., "db": ...,
     "client_certificate_path": ".../client.pem",          # key + certificate of the default app
     "oidc_issuer": ".../_emulator/oidc", "oidc_token_url": ".../_emulator/oidc/token",
     "federated_subject": "system:serviceaccount:default:pulumi",
     "github_token_url": ".../_emulator/github/token?api-version=2.0", "github_request_token": ...,
     "identity_endpoint": ".../_emulator/msi/token", "identity_header": ...,
     "msi_client_id": ...}                                 # the user-assigned managed identity

``graph_url`` has no version: Graph is at ``{graph_url}/v1.0`` and ``{graph_url}/beta``; the MSAL
authority is ``{authority_host}/{tenant_id}``. Logs go to stderr and never contain a token, a
secret or an Authorization header.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from . import azprofile
from . import env as env_mod
from . import running
from . import seed as seed_mod
from .app import Emulator
from .server import EmulatorServer
from .store import Store
from .tls import default_tls_dir, ensure_tls


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="msgraph-emulator", description="A local Microsoft Graph emulator.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve Graph and the identity platform over HTTPS")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    serve.add_argument("--seed", help="seed file (JSON or YAML); applied when the directory is new")
    serve.add_argument("--db", help="SQLite file that keeps the directory across restarts (default: in memory)")
    serve.add_argument("--tls-dir", help="where the test CA and server certificate live (kept between runs)")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="initial latency fault for Graph calls")
    serve.add_argument("--verbose", action="store_true", help="log one line per request to stderr")
    env = sub.add_parser("env", help="print the environment that points the provider at the emulator "
                                     "on --port, starting one in the background if none answers there")
    env.add_argument("--format", choices=env_mod.FORMATS, default="shell",
                     help="shell exports (default), a .env file, $GITHUB_ENV lines, or JSON")
    env.add_argument("--port", type=int, default=8443)
    env.add_argument("--host", default="127.0.0.1", help="for an emulator this command starts")
    env.add_argument("--seed", help="for an emulator this command starts: seed file (JSON or YAML)")
    env.add_argument("--db", help="for an emulator this command starts: SQLite file for the directory")
    env.add_argument("--tls-dir", help="for an emulator this command starts: test CA directory")
    env.add_argument("--no-start", action="store_true", help="fail instead of starting an emulator")
    stop = sub.add_parser("stop", help="stop the emulator on --port that `env` or `serve` started")
    stop.add_argument("--port", type=int, default=8443)
    az = sub.add_parser("az", help="write an Azure CLI profile for the emulator on --port and print the "
                                   "exports that select it")
    az.add_argument("--port", type=int, default=8443)
    az.add_argument("--dir", help="the profile's directory (default ~/.cache/msgraph-emulator/az/PORT)")
    az.add_argument("--format", choices=env_mod.FORMATS, default="shell")
    return parser


def advertised_host(bind: str) -> str:
    """The address clients are told to use for a server bound to ``bind``: a wildcard address
    (0.0.0.0, ::) is not one to connect to, and the emulator's certificate covers only localhost,
    127.0.0.1 and ::1 (tls.py), so clients are given the loopback address of the same family.

    >>> advertised_host("0.0.0.0"), advertised_host("::"), advertised_host("localhost")
    ('127.0.0.1', '::1', 'localhost')
    """
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(bind.strip("[]"), bind)


def build(args) -> tuple[EmulatorServer, dict]:
    """The server (not yet serving) and its ready line."""
    tls_dir = args.tls_dir or str(default_tls_dir())
    files = ensure_tls(tls_dir)
    store = Store(args.db or ":memory:")
    fresh = not store.get_meta("initialized")
    if fresh and args.seed:
        doc = seed_mod.load_file(args.seed)
        seed_mod.apply(store, doc)
    seed_mod.ensure_defaults(store, tls_dir)
    store.set_meta("initialized", True)
    emulator = Emulator(store, tls_dir=tls_dir, ca_bundle=str(files.ca_pem))
    if args.latency_ms:
        emulator.faults.configure({"latency_ms": args.latency_ms})
    server = EmulatorServer(args.host, args.port, emulator, str(files.cert_pem), str(files.key_pem),
                            verbose=args.verbose)
    host = advertised_host(args.host)
    base = f"https://{f'[{host}]' if ':' in host else host}:{server.port}"
    app = store.list_principals("app")[0]
    github = store.get_meta("github") or {}
    user_mi = next((m for m in store.list_principals("mi") if not m.get("system_assigned")), None)
    ready = {
        "graph_url": base,
        "authority_host": base,
        "tenant_id": store.get_meta("tenant_id"),
        "client_id": app["client_id"],
        "client_secret": app.get("client_secret"),
        "ca_bundle": str(files.ca_pem),
        "base_url": base,
        "admin_url": f"{base}/_emulator",
        "port": server.port,
        "pid": os.getpid(),
        "tls_dir": tls_dir,
        "db": args.db,
        "client_certificate_path": str(seed_mod.client_certificate(tls_dir)[0]),
        "oidc_issuer": f"{base}/_emulator/oidc",
        "oidc_token_url": f"{base}/_emulator/oidc/token",
        "federated_subject": seed_mod.DEFAULT_FEDERATED_SUBJECT,
        "github_token_url": f"{base}/_emulator/github/token?api-version=2.0",
        "github_request_token": github.get("request_token"),
        "identity_endpoint": f"{base}/_emulator/msi/token",
        "identity_header": store.get_meta("identity_header"),
        "msi_client_id": user_mi["client_id"] if user_mi else None,
    }
    return server, ready


def serve(args) -> int:
    try:
        server, ready = build(args)
    except (OSError, ValueError) as exc:
        print(f"msgraph-emulator: {exc}", file=sys.stderr, flush=True)
        return 2
    stop = threading.Event()

    def _stop(signum, frame):  # noqa: ARG001 - signal signature
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start_background()
    recorded = args.port != 0
    if recorded:
        running.write_record(ready)
    print(json.dumps(ready), flush=True)
    print(f"msgraph-emulator: serving Graph at {ready['graph_url']} (tenant {ready['tenant_id']})",
          file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        pass
    if recorded:
        running.remove_record(ready["port"], ready["pid"])
    server.shutdown()
    server.server_close()
    server.emulator.store.close()
    return 0


def env(args) -> int:
    """Print the environment for the emulator on ``--port``; start one there if none answers."""
    ready = running.find(args.port)
    verb = "using the emulator"
    if ready is None:
        if args.no_start:
            print(f"msgraph-emulator: no emulator answers on port {args.port}", file=sys.stderr)
            return 1
        serve_args = ["--host", args.host]
        for flag, value in (("--seed", args.seed), ("--db", args.db), ("--tls-dir", args.tls_dir)):
            if value:
                serve_args += [flag, os.path.abspath(value)]
        try:
            ready = running.start_detached(serve_args, args.port)
        except RuntimeError as exc:
            print(f"msgraph-emulator: {exc}", file=sys.stderr)
            return 1
        verb = "started an emulator"
    else:
        ignored = [flag for flag, value in (("--seed", args.seed), ("--db", args.db), ("--tls-dir", args.tls_dir),
                                            ("--host", args.host if args.host != "127.0.0.1" else None)) if value]
        if ignored:
            stop_cmd = "msgraph-emulator stop" + (f" --port {args.port}" if args.port != 8443 else "")
            print(f"msgraph-emulator: warning: an emulator already answers on port {args.port}, so "
                  f"{', '.join(ignored)} {'was' if len(ignored) == 1 else 'were'} not applied; to start one with "
                  f"them, run {stop_cmd} first" + (" (or POST the seed to its /_emulator/seed)" if args.seed else ""),
                  file=sys.stderr)
    sys.stdout.write(env_mod.render(env_mod.variables(ready), args.format))
    sys.stdout.flush()
    # stderr, so that `eval "$(...)"` shows it without evaluating it.
    print(f"msgraph-emulator: {verb} at {ready['base_url']} (pid {ready['pid']}); "
          f"its page: {ready['base_url']}/_emulator/ui; stop it: msgraph-emulator stop"
          + (f" --port {args.port}" if args.port != 8443 else ""), file=sys.stderr)
    return 0


def stop(args) -> int:
    pid = running.stop(args.port)
    if pid is None:
        print(f"msgraph-emulator: no emulator answers on port {args.port}", file=sys.stderr)
        return 1
    print(f"msgraph-emulator: stopped the emulator on port {args.port} (pid {pid})", file=sys.stderr)
    return 0


def az(args) -> int:
    """Write the Azure CLI profile for the emulator on ``--port`` and print its environment."""
    ready = running.find(args.port)
    if ready is None:
        print(f"msgraph-emulator: no emulator answers on port {args.port}; start one first: "
              f'eval "$(msgraph-emulator env' + (f" --port {args.port}" if args.port != 8443 else "") + ')"',
              file=sys.stderr)
        return 1
    directory = azprofile.default_dir(args.port) if args.dir is None else Path(args.dir).resolve()
    sys.stdout.write(env_mod.render(azprofile.write_profile(ready, directory), args.format))
    print(f"msgraph-emulator: an Azure CLI profile for {ready['base_url']} is in {directory}; with the "
          f"variables of msgraph-emulator env, sign in as the emulator's app: {azprofile.login_command()}; "
          "or as a seeded user with a password: az login -u USER -p PASSWORD --allow-no-subscriptions",
          file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "env":
        return env(args)
    if args.command == "stop":
        return stop(args)
    if args.command == "az":
        return az(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""The process, CLI, admin API, persistence, concurrency and overhead (README.md, "The local Graph emulator")."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from msgraph_membership.emulator.process import start_emulator

from .conftest import ALICE, BOB, SEC, Graph, gid

READY_KEYS = {"graph_url", "authority_host", "tenant_id", "client_id", "client_secret", "ca_bundle"}


def test_ready_line_has_the_interface_keys(emu):
    """README.md: the ready line carries graph_url, authority_host, tenant_id, client_id, client_secret, ca_bundle."""
    assert READY_KEYS <= set(emu.ready)
    assert emu.graph_url.startswith("https://127.0.0.1:") and emu.ready["port"] > 0
    with open(emu.ca_bundle) as fh:
        assert "BEGIN CERTIFICATE" in fh.read()


def test_console_script_prints_exactly_one_ready_line(tmp_path):
    """README.md: `msgraph-emulator serve --port 0` prints one JSON line on stdout, logs on stderr;
    `--latency-ms` sets the initial latency fault."""
    exe = subprocess.run([sys.executable, "-c", "import shutil,sys; print(shutil.which('msgraph-emulator') or '')"],
                         capture_output=True, text=True).stdout.strip()
    cmd = [exe] if exe else [sys.executable, "-m", "msgraph_membership.emulator"]
    proc = subprocess.Popen(cmd + ["serve", "--port", "0", "--tls-dir", str(tmp_path), "--latency-ms", "25"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(proc.stdout.readline())
        assert READY_KEYS <= set(ready)
        assert ready["tenant_id"] == "7f0c4bd5-0000-4000-8000-000000000001"
        s = requests.Session()
        s.trust_env = False
        assert s.get(f"{ready['graph_url']}/_emulator/health", verify=ready["ca_bundle"]).status_code == 200
        assert s.get(f"{ready['graph_url']}/_emulator/faults", verify=ready["ca_bundle"]).json() == {"latency_ms": 25.0}
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert out == ""  # nothing after the ready line
    assert ready["client_secret"] not in err


def test_admin_reset_keeps_apps(emu, graph):
    """README.md: reset empties the directory; apps stay (tokens still work)."""
    emu.reset()
    d = emu.directory()
    assert d["users"] == [] and d["groups"] == [] and d["administrativeUnits"] == []
    assert graph.get_token().status_code == 200
    assert [a["client_id"] for a in d["apps"]][0] == emu.client_id


def test_admin_directory_shape(emu, graph):
    """README.md: /_emulator/directory lists every object and membership (members/owners as ids)."""
    graph.add_member(SEC, BOB)
    d = emu.directory()
    assert {"tenant_id", "users", "groups", "administrativeUnits", "devices", "servicePrincipals",
            "orgContacts", "apps"} <= set(d)
    sec = next(g for g in d["groups"] if g["id"] == SEC)
    assert sec["members"] == [BOB] and sec["owners"] == [ALICE]
    assert "client_secret" not in json.dumps(d)


def test_admin_seed_generates_missing_ids(emu):
    """README.md: any id left out of a seed is generated; the answer lists them."""
    out = emu.seed({"users": [{"displayName": "Zed"}], "groups": [{"displayName": "G", "mailNickname": "g"}]})
    assert len(out["users"]) == 1 and len(out["groups"]) == 1
    assert out["users"][0] in [u["id"] for u in emu.directory()["users"]]


def test_admin_seed_rejects_unknown_member(emu):
    """README.md: a bad seed is refused and changes nothing."""
    try:
        emu.seed({"groups": [{"id": gid(3000), "mailNickname": "x", "members": [gid(3001)]}]})
    except RuntimeError as exc:
        assert "400" in str(exc)
    else:
        raise AssertionError("seed accepted")
    assert gid(3000) not in [g["id"] for g in emu.directory()["groups"]]


def test_requests_log_records_graph_and_token_calls_not_admin(emu, graph):
    """README.md: the log holds Graph and token requests (method, path, status, duration); DELETE clears it."""
    graph.get(f"groups/{SEC}/members?$top=5")
    log = emu.requests()
    assert [e["kind"] for e in log] == ["token", "graph"]
    entry = log[-1]
    assert entry["method"] == "GET" and entry["path"] == f"/v1.0/groups/{SEC}/members?$top=5"
    assert entry["status"] == 200 and entry["duration_ms"] >= 0 and entry["time"].endswith("Z")
    emu.clear_requests()
    assert emu.requests() == []


def test_logs_never_contain_secrets_or_tokens(emu, graph):
    """stderr never carries a token, a secret or an Authorization header."""
    graph.get(f"groups/{SEC}")
    graph.get(f"groups/{SEC}", token="garbage-token-value")
    tail = emu.stderr_tail()
    assert graph.token not in tail and graph.secret not in tail and emu.client_secret not in tail
    assert "Authorization" not in tail and "garbage-token-value" not in tail


def test_db_survives_restart(tmp_path):
    """README.md: --db keeps the directory, the apps and the signing key across a restart."""
    db = tmp_path / "dir.sqlite"
    seed = {"users": [{"id": BOB}], "groups": [{"id": SEC, "mailNickname": "devs"}]}
    with start_emulator(seed=seed, db=str(db), tls_dir=str(tmp_path / "tls")) as first:
        g = Graph(first, first.client_id, first.client_secret)
        assert g.add_member(SEC, BOB).status_code == 204
        token, secret = g.token, first.client_secret
    with start_emulator(seed={"users": [{"id": ALICE}]}, db=str(db), tls_dir=str(tmp_path / "tls")) as second:
        assert second.client_secret == secret
        d = second.directory()
        assert next(x for x in d["groups"] if x["id"] == SEC)["members"] == [BOB]
        assert ALICE not in [u["id"] for u in d["users"]]  # the seed applies to a new db only
        g = Graph(second, second.client_id, second.client_secret)
        assert g.get(f"groups/{SEC}", token=token).status_code == 200  # same signing key


def test_200_concurrent_writes_lose_nothing(emu):
    """200 concurrent adds from 50 threads: every one lands, none doubled."""
    users = [{"id": gid(10000 + i)} for i in range(200)]
    emu.seed({"users": users})
    graph = Graph(emu)
    token = graph.token
    local = threading.local()

    def add(user_id):
        if not hasattr(local, "g"):
            local.g = Graph(emu)
            local.g._token = token
        return local.g.add_member(SEC, user_id).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(add, [u["id"] for u in users]))
    assert statuses == [204] * 200
    members = next(g for g in emu.directory()["groups"] if g["id"] == SEC)["members"]
    assert sorted(members) == sorted(u["id"] for u in users)
    assert len(graph.member_ids(SEC)) == 200


def test_concurrent_duplicate_adds_succeed_exactly_once(emu):
    """50 threads adding the same member: one 204, the rest "already exist"."""
    graph = Graph(emu)
    token = graph.token

    def add(_):
        g = Graph(emu)
        g._token = token
        return g.add_member(SEC, BOB).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(add, range(50)))
    assert statuses.count(204) == 1 and statuses.count(400) == 49


def test_request_log_times_every_graph_request(emu):
    """The request log times each Graph request (``duration_ms``); the overhead is printed, not
    bounded: a shared machine gives no wall-clock guarantee."""
    users = [{"id": gid(20000 + i)} for i in range(100)]
    emu.seed({"users": users, "groups": [{"id": gid(20999), "mailNickname": "perf",
                                          "members": [u["id"] for u in users]}]})
    graph = Graph(emu)
    graph.get(f"groups/{SEC}")
    emu.clear_requests()
    round_trips = []
    for i in range(200):
        start = time.perf_counter()
        if i % 2:
            r = graph.get(f"groups/{gid(20999)}/members?$select=id")
        else:
            r = graph.add_member(SEC, BOB) if i % 4 == 0 else graph.remove_member(SEC, BOB)
        round_trips.append((time.perf_counter() - start) * 1000)
        assert r.status_code in (200, 204)
    log = emu.requests()
    assert [e["kind"] for e in log] == ["graph"] * 200
    assert [e["status"] for e in log] == [204 if i % 2 == 0 else 200 for i in range(200)]
    server = [e["duration_ms"] for e in log]
    assert all(isinstance(d, (int, float)) and d >= 0 for d in server)
    rt, sv = statistics.median(round_trips), statistics.median(server)
    print(f"\nemulator overhead: median round trip {rt:.2f} ms (p95 {sorted(round_trips)[189]:.2f} ms), "
          f"median server time {sv:.3f} ms over {len(server)} requests")


def test_admin_api_is_loopback_only():
    """README.md: the admin API answers loopback clients only."""
    from msgraph_membership.emulator.admin import _is_loopback

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("::ffff:127.0.0.1")
    assert not _is_loopback("10.0.0.5") and not _is_loopback("192.168.1.2")


def test_emulator_is_an_independent_oracle():
    """README.md, "Development": the emulator imports nothing from the Graph client or the resources."""
    from pathlib import Path

    import msgraph_membership.emulator as package

    for path in Path(package.__file__).parent.glob("*.py"):
        imports = [line.strip() for line in path.read_text().splitlines()
                   if line.strip().startswith(("import ", "from "))]
        for line in imports:
            assert not line.startswith(("from ..", "from msgraph_membership.graph", "from msgraph_membership.resources",
                                        "import msgraph_membership.graph", "import msgraph_membership.resources")), \
                f"{path.name}: {line}"

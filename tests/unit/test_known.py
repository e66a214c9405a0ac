"""What the client knows about objects is shared by the provider's worker threads: a stress test
with many threads asking and learning at once must never see a half-recorded fact."""
from __future__ import annotations

import sys
import threading

from msgraph_membership.graph.client import ConsistencyPolicy, GraphClient
from msgraph_membership.graph.settings import resolve_settings
from msgraph_membership.graph.transport import Response

M365 = [f"0b000000-0000-4000-8000-{i:012d}" for i in range(300)]


class DirectoryStub:
    """A transport whose directory holds only Microsoft 365 groups; counts the calls it gets."""

    graph_url = "https://graph.example/v1.0"
    credential = None

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def request(self, method, path, json=None, params=None, **kw):
        with self._lock:
            self.calls += 1
        if path == "/directoryObjects/getByIds":
            return Response(200, {}, {"value": [{"id": i, "@odata.type": "#microsoft.graph.group",
                                                 "groupTypes": ["Unified"]} for i in json["ids"]]})
        gid = path.rsplit("/", 1)[-1]
        return Response(200, {}, {"id": gid, "groupTypes": ["Unified"], "mailEnabled": True,
                                  "securityEnabled": False})

    def map_bounded(self, fn, items):
        return [fn(i) for i in items]


def test_many_threads_asking_and_learning_at_once_always_see_a_microsoft_365_group_as_one():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to meet every window
    try:
        wrong: list[str] = []
        for _ in range(5):
            c = GraphClient(resolve_settings({}, environ={}), transport=DirectoryStub(),
                            consistency=ConsistencyPolicy(), sleep=lambda s: None)
            start = threading.Barrier(16)

            def learner(part):
                start.wait()
                c.object_types(part)

            def asker(ids):
                start.wait()
                for i in ids:
                    if not c.is_unified_group(i):
                        wrong.append(i)

            threads = [threading.Thread(target=learner, args=(M365[k::8],)) for k in range(8)]
            threads += [threading.Thread(target=asker, args=(M365[k::8][::-1],)) for k in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert c.object_types(M365) == {i: "group" for i in M365}
    finally:
        sys.setswitchinterval(old)
    assert wrong == []


def test_an_object_whose_type_is_not_known_yet_is_looked_up_before_answering():
    stub = DirectoryStub()
    c = GraphClient(resolve_settings({}, environ={}), transport=stub, consistency=ConsistencyPolicy(),
                    sleep=lambda s: None)
    assert c.is_unified_group(M365[0]) is True and stub.calls == 1
    assert c.is_unified_group(M365[0]) is True and stub.calls == 1  # known from then on

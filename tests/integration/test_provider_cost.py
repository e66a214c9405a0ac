"""What a no-change preview costs our provider process, counted (never timed): the SDK's real
provider server, driven like the engine with a Check and a Diff per resource whose inputs did
not change, sends no request (no Graph call, no sign-in) and loads none of the client's heavy
modules (the settings' pydantic, requests, azure-identity, msal); and the `__provider` each
resource carries is a short reference to its class, so the server has little to unpickle."""
from __future__ import annotations

import uuid

from harness.program import collect
from harness.server import ProviderServer, emulator_config, urn_for

GROUP = str(uuid.uuid5(uuid.NAMESPACE_URL, "provider-cost-group"))
MEMBERS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"provider-cost-{i}")) for i in range(5)]
HEAVY = ("pydantic", "requests", "azure", "msal")


def imported(stderr_lines: list[str]) -> set[str]:
    """The modules a process imported, from its `-X importtime` lines."""
    return {line.rsplit("|", 1)[1].strip() for line in stderr_lines if line.startswith("import time:")}


def test_a_no_change_preview_makes_no_request_and_loads_no_client_module(emu):
    import msgraph_membership as m

    emu.seed({"users": [{"id": u, "displayName": u[:8]} for u in MEMBERS],
              "groups": [{"id": GROUP, "displayName": "Cost", "mailNickname": "cost", "securityEnabled": True,
                          "mailEnabled": False, "groupTypes": [], "members": MEMBERS}]})
    regs = collect(lambda: [m.GroupMember(f"m{i}", group_id=GROUP, member_id=u) for i, u in enumerate(MEMBERS)]
                   + [m.GroupMembers("all", group_id=GROUP, member_ids=MEMBERS)])
    blobs = {r.inputs["__provider"] for r in regs}
    assert len(blobs) == 2 and all(len(b) <= 200 for b in blobs)  # a class reference each, nothing captured
    urns = [urn_for(r.typ.rsplit(":", 1)[1], r.name) for r in regs]
    with ProviderServer(config=emulator_config(emu)) as last_up:  # the inputs the state holds
        olds = [last_up.check(urn, {}, dict(r.inputs)) for urn, r in zip(urns, regs)]
    assert all(failures == [] for _, failures in olds)
    emu.clear_requests()
    with ProviderServer(config=emulator_config(emu), env={"PYTHONPROFILEIMPORTTIME": "1"}) as srv:
        for urn, r, (old, _) in zip(urns, regs, olds):
            kind = r.typ.rsplit(":", 1)[1]
            props = dict(r.inputs)
            inputs, failures = srv.check(urn, old, props)
            assert failures == [] and inputs == old
            outs = {**inputs, "member_type": "user", "adopted": False, "adopted_member_ids": [],
                    "protected_member_ids": []}
            id_ = f"{GROUP}/member/{props['member_id']}" if kind == "GroupMember" else GROUP
            assert srv.diff(urn, id_, outs, inputs).changes == "none", kind
        loaded = imported(srv.stderr_lines)
    assert "msgraph_membership.resources.group_member" in loaded  # the lines are there to read
    assert sorted(x for x in loaded if x.split(".")[0] in HEAVY) == []
    assert emu.requests() == []


def test_every_provider_pickles_as_a_bare_class_reference():
    """No state in the pickle, not even an empty one: the SDK's serialize_provider wraps the
    pickler's dict writer once more on each call, so a provider pickled with a dict costs the
    program one more call for every resource registered before it (n²/2 for n resources)."""
    import base64
    import pickletools

    import msgraph_membership as m
    from pulumi.dynamic.dynamic import serialize_provider

    for name in m.__all__:
        provider = getattr(m, name).__init__.__globals__[name + "Provider"]()
        blob = serialize_provider(provider)
        ops = [op.name for op, _, _ in pickletools.genops(base64.b64decode(blob))]
        assert "BUILD" not in ops and "EMPTY_DICT" not in ops, (name, ops)
        assert len(blob) <= 200, name

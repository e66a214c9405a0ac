"""Helpers for the resource tests: the engine's sequence of calls for one resource, changes
made outside Pulumi, and reading the emulator's directory (the ground truth)."""
from __future__ import annotations

import uuid


from harness.server import ProviderServer, urn_for

RESOURCES = ("AdministrativeUnitMember", "AdministrativeUnitMembers", "AdministrativeUnitGroup", "MemberOf",
             "GroupMembers", "GroupMember")
RESOURCES += ("GroupOwners", "GroupOwner")  # a group's owners
READ_ONLY_POSTS = ("/directoryObjects/getByIds", "/checkMemberGroups", "/checkMemberObjects", "/getMemberGroups")


def new_id() -> str:
    return str(uuid.uuid4())


class Stack:
    """One resource's life as the engine runs it: check, then create, or diff then update or
    replace; refresh reads; destroy deletes. Keeps the inputs and outputs the engine would keep."""

    def __init__(self, server: ProviderServer, type_name: str, name: str, blob: str):
        self.server, self.blob = server, blob
        self.urn = urn_for(type_name, name)
        self.id: str = ""
        self.inputs: dict = {}
        self.outs: dict = {}
        self.last_diff = None

    def news(self, args: dict) -> dict:
        return {"__provider": self.blob, **args}

    def preview(self, **args) -> list[tuple[str, str]]:
        """Check (and diff when the resource exists), as `pulumi preview`; returns failures."""
        inputs, failures = self.server.check(self.urn, self.inputs, self.news(args))
        if not failures and self.id:
            self.last_diff = self.server.diff(self.urn, self.id, self.outs, inputs)
        return failures

    def up(self, **args) -> dict:
        inputs, failures = self.server.check(self.urn, self.inputs, self.news(args))
        assert failures == [], failures
        if not self.id:
            self.id, self.outs = self.server.create(self.urn, inputs)
        else:
            d = self.last_diff = self.server.diff(self.urn, self.id, self.outs, inputs)
            if d.replaces:
                old_id, old_outs = self.id, self.outs
                if d.delete_before_replace:
                    self.server.delete(self.urn, old_id, old_outs)
                    self.id, self.outs = self.server.create(self.urn, inputs)
                else:
                    self.id, self.outs = self.server.create(self.urn, inputs)
                    self.server.delete(self.urn, old_id, old_outs)
            elif d.changes == "some":
                self.outs = self.server.update(self.urn, self.id, self.outs, inputs)
        self.inputs = inputs
        return self.outs

    def refresh(self, server: ProviderServer | None = None) -> tuple[str, dict, dict]:
        """Read as a refresh does; returns (id, outputs, inputs), the blob left out of inputs."""
        rid, outs, ins = (server or self.server).read(self.urn, self.id, self.outs, self.inputs)
        ins = {k: v for k, v in ins.items() if k != "__provider"}
        if not rid:
            self.id, self.outs, self.inputs = "", {}, {}
        else:
            self.outs, self.inputs = outs, {**ins, "__provider": self.blob}
        return rid, outs, ins

    def destroy(self) -> None:
        self.server.delete(self.urn, self.id, self.outs)


from harness.outside import OutsideGraph as Outside  # noqa: E402  (kept under its old name)


# -- the emulator's directory, the ground truth ----------------------------------------------------

def unit_members(emu, unit_id: str) -> set[str]:
    return set(next(u for u in emu.directory()["administrativeUnits"] if u["id"] == unit_id)["members"])


def group_members(emu, group_id: str) -> set[str]:
    return set(next(g for g in emu.directory()["groups"] if g["id"] == group_id)["members"])


def group_owners(emu, group_id: str) -> set[str]:
    return set(next(g for g in emu.directory()["groups"] if g["id"] == group_id)["owners"])


def groups_of(emu, member_id: str) -> set[str]:
    return {g["id"] for g in emu.directory()["groups"] if member_id in g["members"]}


def group(emu, group_id: str) -> dict | None:
    return next((g for g in emu.directory()["groups"] if g["id"] == group_id), None)


def graph_writes(emu) -> list[dict]:
    """Graph requests that can change the directory (reads made with POST excluded)."""
    return [r for r in emu.requests() if r.get("kind") == "graph" and r["method"] in ("POST", "PATCH", "DELETE")
            and not any(p in r["path"] for p in READ_ONLY_POSTS)]


def users(n: int) -> list[dict]:
    return [{"id": new_id(), "displayName": f"user {i}"} for i in range(n)]

"""AdministrativeUnitGroup through the real provider server against the emulator."""
from __future__ import annotations

import pytest

from .support import graph_writes, group, new_id, unit_members


@pytest.fixture
def world(emu):
    w = {"paris": new_id(), "lyon": new_id(), "restricted": new_id()}
    emu.seed({"administrativeUnits": [
        {"id": w["paris"], "displayName": "Paris"}, {"id": w["lyon"], "displayName": "Lyon"},
        {"id": w["restricted"], "displayName": "Vault", "isMemberManagementRestricted": True}]})
    emu.clear_requests()
    return w


def helpdesk(unit: str, **kw) -> dict:
    nick = kw.pop("mail_nickname", "helpdesk-" + new_id()[:8])
    return {"administrative_unit_id": unit, "display_name": "Paris helpdesk", "mail_nickname": nick, **kw}


def test_create_makes_a_security_group_inside_the_unit(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    args = helpdesk(world["paris"], description="First-line support")
    outs = r.up(**args)
    g = group(emu, r.id)
    assert g is not None and r.id in unit_members(emu, world["paris"])
    assert g["displayName"] == "Paris helpdesk" and g["mailNickname"] == args["mail_nickname"]
    assert g["securityEnabled"] is True and g["mailEnabled"] is False and g["groupTypes"] == []
    assert outs["group_id"] == r.id and outs.get("mail") is None
    assert outs["created_date_time"] and outs["security_identifier"].startswith("S-1-12-1-")
    assert outs["description"] == "First-line support" and outs["group_types"] == []
    assert [w["path"].split("/v1.0")[-1] for w in graph_writes(emu)] == [
        f"/directory/administrativeUnits/{world['paris']}/members"]
    assert r.preview(**args) == [] and r.last_diff.changes == "none"


def test_display_name_and_description_change_in_place(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    args = helpdesk(world["paris"], description="old")
    r.up(**args)
    first_id = r.id
    outs = r.up(**{**args, "display_name": "Paris support", "description": "new"})
    assert r.last_diff.changes == "some" and r.last_diff.replaces == []
    assert r.id == first_id
    g = group(emu, r.id)
    assert g["displayName"] == "Paris support" and g["description"] == "new"
    assert outs["display_name"] == "Paris support" and outs["description"] == "new"
    outs = r.up(**{**args, "display_name": "Paris support", "description": None})
    assert group(emu, r.id)["description"] is None and outs.get("description") is None


def test_a_microsoft_365_group_gets_mail_and_visibility_changes_in_place(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    args = helpdesk(world["paris"], group_types=["Unified"], mail_enabled=True, security_enabled=False,
                    visibility="Public")
    outs = r.up(**args)
    assert outs["mail"] == f"{args['mail_nickname']}@contoso.test" and outs["proxy_addresses"]
    r.up(**{**args, "visibility": "Private"})
    assert r.last_diff.replaces == []
    assert group(emu, r.id)["visibility"] == "Private"


def test_renamed_outside_refresh_shows_it_and_up_restores(emu, stack, fresh, world, outside_graph):
    r = stack("AdministrativeUnitGroup")
    args = helpdesk(world["paris"])
    r.up(**args)
    outside_graph.call("PATCH", f"/groups/{r.id}", {"displayName": "Renamed by hand", "description": "x"})

    _, routs, rins = r.refresh(fresh())
    assert rins["display_name"] == "Renamed by hand" and rins["description"] == "x"
    r.up(**args)
    assert r.last_diff.changes == "some" and r.last_diff.replaces == []
    g = group(emu, r.id)
    assert g["displayName"] == "Paris helpdesk" and g["description"] is None


def test_mail_enabled_change_replaces_the_group(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    args = helpdesk(world["paris"])
    r.up(**args)
    old_id = r.id
    r.up(**{**args, "group_types": ["Unified"], "mail_enabled": True})
    assert set(r.last_diff.replaces) == {"mail_enabled", "group_types"}
    assert r.id != old_id and group(emu, old_id) is None
    assert group(emu, r.id)["groupTypes"] == ["Unified"] and r.id in unit_members(emu, world["paris"])


def test_unit_change_replaces(stack, world):
    r = stack("AdministrativeUnitGroup")
    args = helpdesk(world["paris"])
    r.up(**args)
    assert r.preview(**{**args, "administrative_unit_id": world["lyon"]}) == []
    assert r.last_diff.replaces == ["administrative_unit_id"]


def test_replacing_a_microsoft_365_group_keeping_its_nickname_deletes_first(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    args = helpdesk(world["paris"], group_types=["Unified"], mail_enabled=True)
    r.up(**args)
    old_id = r.id
    r.up(**{**args, "administrative_unit_id": world["lyon"]})  # the address must be free for the new group
    assert r.last_diff.delete_before_replace is True
    assert group(emu, old_id) is None and r.id in unit_members(emu, world["lyon"])


def test_delete_deletes_the_group_and_again_succeeds(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    r.up(**helpdesk(world["paris"]))
    r.destroy()
    assert group(emu, r.id) is None and unit_members(emu, world["paris"]) == set()
    r.destroy()


def test_a_read_right_after_create_waits_out_replication_lag(emu, stack, world):
    emu.faults({"replication_lag_ms": 1500})
    r = stack("AdministrativeUnitGroup")
    r.up(**helpdesk(world["paris"]))
    rid, outs, _ = r.refresh()
    assert rid and outs["group_id"] == rid  # not dropped: the new group was only lagging
    # The lag was met (a 404 first) and waited out, by the create itself or by the read.
    reads = [q["status"] for q in emu.requests()
             if q["method"] == "GET" and q["path"].split("?")[0].endswith(f"/groups/{rid}")]
    assert reads[0] == 404 and reads[-1] == 200
    emu.faults({})


@pytest.mark.parametrize("kw, prop, needle", [
    ({"mail_nickname": "paris helpdesk"}, "mail_nickname", "SPACE"),
    ({"mail_nickname": "help(desk)"}, "mail_nickname", "("),
    ({"display_name": ""}, "display_name", "is required"),
    ({"group_types": ["DynamicMembership"]}, "group_types", "membership rule"),
    ({"mail_enabled": True}, "mail_enabled", "cannot create mail-enabled"),
    ({"group_types": ["Unified"]}, "mail_enabled", "always mail-enabled"),
    ({"visibility": "Private"}, "visibility", "only Microsoft 365 groups"),
    ({"administrative_unit_id": "ghost"}, "administrative_unit_id", "does not exist"),
    ({"administrative_unit_id": "restricted", "group_types": ["Unified"], "mail_enabled": True},
     "group_types", "restricted-management"),
])
def test_preview_fails_naming_the_argument_and_writes_nothing(emu, stack, world, kw, prop, needle):
    w = {**world, "ghost": new_id()}
    if "administrative_unit_id" in kw:
        kw = {**kw, "administrative_unit_id": w[kw["administrative_unit_id"]]}
    failures = stack("AdministrativeUnitGroup").preview(**{**helpdesk(world["paris"]), **kw})
    assert [p for p, _ in failures] == [prop], failures
    assert needle in failures[0][1]
    assert graph_writes(emu) == []


# -- unique names: a create repeated after an unknown outcome adopts exactly that group ------------

def scoped(unit: str, scope: str | None = None, **kw) -> dict:
    """The arguments as the program sends them: with the scope a derived unique name comes from."""
    return {**helpdesk(unit, **kw), "unique_name_scope": scope or f"proj/dev/helpdesk-{new_id()[:8]}"}


def groups_named(emu, display_name: str) -> list[dict]:
    return [g for g in emu.directory()["groups"] if g.get("displayName") == display_name]


def test_a_created_group_carries_a_unique_name_derived_from_the_scope(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    outs = r.up(**scoped(world["paris"]))
    assert outs["unique_name"].startswith("pulumi-") and group(emu, r.id)["uniqueName"] == outs["unique_name"]


def test_a_create_repeated_after_the_state_was_lost_adopts_the_same_group(emu, stack, server, world):
    """A provider killed after Graph created the group but before Pulumi recorded it: the next
    `up` creates the same resource again, and gets that very group, not a second one."""
    args = scoped(world["paris"], display_name="Crash-safe helpdesk")
    first = stack("AdministrativeUnitGroup")
    first.up(**args)
    again = stack("AdministrativeUnitGroup")  # a fresh state: the first create was never recorded
    again.up(**args)
    assert again.id == first.id
    assert len(groups_named(emu, "Crash-safe helpdesk")) == 1
    assert unit_members(emu, world["paris"]) == {first.id}


def test_a_create_whose_answer_is_cut_off_mid_body_makes_exactly_one_group(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    args = scoped(world["paris"], display_name="Cut-off helpdesk")
    emu.faults({"cut_body_rate": 0.5, "seed": 3})
    try:
        r.up(**args)
    finally:
        emu.faults({})
    creates = [q for q in emu.requests() if q["method"] == "POST" and q["path"].endswith("/members")]
    assert creates[0].get("fault") == "cut_body"  # the first create's answer was cut off
    assert [g["id"] for g in groups_named(emu, "Cut-off helpdesk")] == [r.id]


def test_a_replacement_gets_a_unique_name_of_its_own(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    args = scoped(world["paris"])
    first = r.up(**args)["unique_name"]
    old_id = r.id
    second = r.up(**{**args, "administrative_unit_id": world["lyon"]})["unique_name"]
    assert r.last_diff.replaces == ["administrative_unit_id"] and r.last_diff.delete_before_replace is False
    assert second != first and r.id != old_id and group(emu, r.id)["uniqueName"] == second


def test_a_replacement_keeping_a_given_unique_name_deletes_the_old_group_first(emu, stack, world):
    r = stack("AdministrativeUnitGroup")
    args = {**helpdesk(world["paris"]), "unique_name": "helpdesk-" + new_id()[:8]}
    r.up(**args)
    old_id = r.id
    r.up(**{**args, "administrative_unit_id": world["lyon"]})
    assert r.last_diff.delete_before_replace is True
    assert r.id != old_id and group(emu, old_id) is None and group(emu, r.id)["uniqueName"] == args["unique_name"]


def test_a_unique_name_held_by_another_group_fails_naming_the_argument(emu, stack, outside_graph, world):
    taken = "taken-" + new_id()[:8]
    outside_graph.call("POST", "/groups", {"displayName": "Somebody's", "mailNickname": "somebody",
                                           "securityEnabled": True, "mailEnabled": False, "uniqueName": taken})
    r = stack("AdministrativeUnitGroup")
    with pytest.raises(Exception, match="unique_name") as info:
        r.up(**{**helpdesk(world["paris"]), "unique_name": taken})
    # What Pulumi shows ends with the message itself, not a Python class path.
    shown = info.value.details() if hasattr(info.value, "details") else str(info.value)
    last = shown.rstrip("\n").splitlines()[-1]
    assert last.startswith("error: unique_name: ") and "msgraph_membership" not in last
    assert [g["displayName"] for g in emu.directory()["groups"] if g.get("uniqueName") == taken] == ["Somebody's"]

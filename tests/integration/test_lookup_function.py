"""`get_object_ids`, the program-side lookup, against the emulator."""
from __future__ import annotations

import uuid

import pytest

from harness.server import emulator_config

ALICE, DEVS, SP, APP = (str(uuid.uuid4()) for _ in range(4))


@pytest.fixture
def directory(emu):
    emu.seed({"users": [{"id": ALICE, "displayName": "Alice", "userPrincipalName": "alice@fn.test"}],
              "groups": [{"id": DEVS, "displayName": "Devs fn", "mailNickname": "devs-fn", "securityEnabled": True,
                          "mailEnabled": False, "groupTypes": []}],
              "servicePrincipals": [{"id": SP, "displayName": "pipeline fn", "appId": APP}]})
    emu.clear_requests()
    return emu


def test_names_become_object_ids(directory):
    from msgraph_membership import get_object_id, get_object_ids

    cfg = emulator_config(directory)
    got = get_object_ids(["alice@fn.test", "group:devs fn", f"app:{APP}", DEVS.upper()], config=cfg)
    assert got == {"alice@fn.test": ALICE, "group:devs fn": DEVS, f"app:{APP}": SP, DEVS.upper(): DEVS}
    assert get_object_id("sp:Pipeline FN", config=cfg) == SP


def test_names_that_do_not_resolve_raise_naming_each(directory):
    from msgraph_membership import ReferenceNotResolved, get_object_ids

    with pytest.raises(ReferenceNotResolved) as e:
        get_object_ids(["nobody@fn.test", "alice@fn.test", "Alice"], config=emulator_config(directory))
    assert "'Alice' is neither an object id" in str(e.value)
    with pytest.raises(ReferenceNotResolved) as e:
        get_object_ids(["nobody@fn.test", "alice@fn.test"], config=emulator_config(directory))
    assert "'nobody@fn.test' matches no object" in str(e.value) and "alice@fn.test'" not in str(e.value)

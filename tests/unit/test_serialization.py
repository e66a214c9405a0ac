"""The provider object pickled into state: tiny, by reference, secret-free, loadable anywhere."""
import base64
import subprocess
import sys

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime._serialization import _serialize

import msgraph_membership
from harness.program import collect

RESOURCES = [getattr(msgraph_membership, n) for n in msgraph_membership.__all__]
SECRET = "s3cr3t-Client-Secret-value~"


def provider_of(cls):
    return cls.__init__.__globals__[cls.__name__ + "Provider"]()


def blob(cls) -> str:
    return _serialize(True, serialize_provider, provider_of(cls))[0]


@pytest.mark.parametrize("cls", RESOURCES, ids=lambda c: c.__name__)
def test_serialized_provider_is_small(cls):
    assert len(blob(cls)) <= 256


@pytest.mark.parametrize("cls", RESOURCES, ids=lambda c: c.__name__)
def test_serialized_provider_is_by_reference_and_holds_no_configured_secret(cls, monkeypatch):
    monkeypatch.setenv("ARM_CLIENT_SECRET", SECRET)
    p = provider_of(cls)
    from pulumi.dynamic import Config, ConfigureRequest
    # configure() runs in the provider process; even if it ran before pickling, nothing may leak.
    p.configure(ConfigureRequest(Config({"msgraph:clientSecret": SECRET}, "proj")))
    raw = base64.b64decode(_serialize(True, serialize_provider, p)[0])
    assert SECRET.encode() not in raw
    assert b"msgraph_membership.resources" in raw  # pickled by reference to the installed module
    assert b"co_code" not in raw and b"\x8c\x08builtins" not in raw  # no code objects by value


def test_program_blob_is_the_one_the_provider_server_gets():
    from msgraph_membership import GroupMember

    regs = collect(lambda: GroupMember("m", group_id="a", member_id="b"))
    assert regs[0].typ == "pulumi-python:dynamic/msgraph:GroupMember"
    assert regs[0].inputs["__provider"] == blob(GroupMember)
    assert isinstance(regs[0].inputs["__provider"], str)  # not wrapped as a secret


@pytest.mark.parametrize("cls", RESOURCES, ids=lambda c: c.__name__)
def test_serialized_provider_loads_in_a_fresh_interpreter(cls):
    code = ("import base64, sys, dill; p = dill.loads(base64.b64decode(sys.argv[1])); "
            "print(type(p).__module__, type(p).__name__, sorted(vars(p)))")
    out = subprocess.run([sys.executable, "-c", code, blob(cls)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    module, name, attrs = out.stdout.split(" ", 2)
    assert module.startswith("msgraph_membership.resources.") and name == cls.__name__ + "Provider"
    assert attrs.strip() == "[]"

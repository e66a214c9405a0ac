"""What Pulumi prints for a failed apply ends with the provider's message, not a Python class path."""
from __future__ import annotations

import traceback

import pytest

from msgraph_membership.graph import errors as E
from msgraph_membership.resources._base import ApplyError, InputError


def shown_by_pulumi(error: Exception) -> str:
    """What the dynamic provider server sends Pulumi for a failed call: `traceback.format_exc()`
    of the exception (pulumi/dynamic/__main__.py, `_abort_with_traceback`)."""
    try:
        raise error
    except Exception:  # noqa: BLE001 - formatted as the SDK does
        return traceback.format_exc()


@pytest.mark.parametrize("error", [
    ApplyError("PATCH https://graph.microsoft.com/v1.0/groups/g -> 403 Authorization_RequestDenied: no"),
    InputError("member_ids", "not a GUID"),
    E.Forbidden("PATCH https://graph.microsoft.com/v1.0/groups/g -> 403"),
    E.AuthenticationError("could not sign in to Microsoft Graph"),
    E.GraphError("GET https://graph.microsoft.com/v1.0/groups/g -> 418"),
], ids=lambda e: type(e).__name__)
def test_the_last_line_pulumi_shows_is_the_message_without_a_class_path(error):
    last = shown_by_pulumi(error).rstrip("\n").splitlines()[-1]
    assert last == f"error: {error}"
    assert "msgraph_membership" not in last and type(error).__name__ not in last


def test_errors_keep_their_types_for_code():
    assert issubclass(E.Forbidden, E.GraphError) and E.Forbidden.__name__ == "Forbidden"
    with pytest.raises(E.Forbidden):
        raise E.Forbidden("x")


@pytest.mark.parametrize("error", [
    E.Forbidden("PATCH /groups/g -> 403", status=403, code="Authorization_RequestDenied"),
    E.AuthenticationError("could not sign in", code="AADSTS7000215"),
    InputError("member_ids", "not a GUID"),
    ApplyError("could not finish"),
], ids=lambda e: type(e).__name__)
def test_renamed_errors_survive_a_pickle_with_their_type_and_fields(error):
    import copy
    import pickle

    for back in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(back) is type(error)
        assert str(back) == str(error)
        assert vars(back) == vars(error)

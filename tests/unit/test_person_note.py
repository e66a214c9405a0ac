"""A 403 to a person signed in names them and their tenant-wide roles (graph/delegated.py); an
application's 403 is left as it was."""
from __future__ import annotations

import base64
import json

from msgraph_membership.graph import errors as E
from msgraph_membership.graph.delegated import add_person_note


def token(claims: dict) -> str:
    """An unsigned JWT: the provider reads its own token's claims, Graph verifies the signature."""
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"e30.{part}.sig"


def test_a_persons_403_names_them_their_roles_and_where_to_look():
    err = add_person_note(E.Forbidden("Insufficient privileges to complete the operation.", status=403),
                          token({"idtyp": "user", "scp": "Group.ReadWrite.All", "upn": "noel@contoso.test",
                                 "wids": ["fdd7a751-b60b-444a-984c-02652fe8fa1c"]}))
    first, note = str(err).splitlines()
    assert first == "Insufficient privileges to complete the operation."
    assert note.startswith("signed in as noel@contoso.test (a person, holding Groups Administrator): Graph judged "
                           "the write on their Entra roles, group ownership and unit-scoped roles, not on application "
                           "permissions: an owner of the group, or a role that covers it")
    add_person_note(err, token({"idtyp": "user", "upn": "noel@contoso.test"}))
    assert str(err).count("signed in as") == 1  # once


def test_an_apps_403_and_other_errors_are_left_alone():
    app = add_person_note(E.Forbidden("denied", status=403), token({"idtyp": "app", "roles": ["X"]}))
    other = add_person_note(E.NotFound("gone", status=404), token({"idtyp": "user", "upn": "a@b"}))
    assert (str(app), str(other)) == ("denied", "gone")

"""A failure caused by one host setting at the emulator and the other at the public cloud names
the setting to fix (graph/hints.py), and the client's transport adds that hint."""
import pytest
import requests

from msgraph_membership.graph import errors as E
from msgraph_membership.graph.client import _HintedTransport
from msgraph_membership.graph.hints import add_host_hint, host_hint, looks_like_emulator
from msgraph_membership.graph.settings import resolve_settings
from msgraph_membership.graph.transport import RetryPolicy

from .fakes import FakeSession

EMULATOR = "https://127.0.0.1:8443"
LOGIN = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token"
GRAPH = "https://graph.microsoft.com/v1.0/groups/g/members"


def settings(**env):
    return resolve_settings(environ=env)


@pytest.mark.parametrize("url", ["https://127.0.0.1:8443", "https://localhost:9000", "https://[::1]:8443",
                                 "https://msgraph-emulator:8443", "127.0.0.1:8443"])
def test_loopback_localhost_and_emulator_hosts_look_like_an_emulator(url):
    assert looks_like_emulator(url)


@pytest.mark.parametrize("url", ["https://graph.microsoft.com", "https://login.microsoftonline.us",
                                 "https://graph.contoso.internal", "", None])
def test_cloud_and_other_hosts_do_not_look_like_an_emulator(url):
    assert not looks_like_emulator(url)


def test_sign_in_at_the_public_cloud_with_an_emulator_graph_endpoint_names_the_missing_authority_host():
    hint = host_hint(settings(MSGRAPH_ENDPOINT=EMULATOR), LOGIN)
    assert "sign-in goes to the public cloud (login.microsoftonline.com)" in hint
    assert "msgraph:authorityHost or AZURE_AUTHORITY_HOST is not set" in hint
    assert f"set msgraph:authorityHost or AZURE_AUTHORITY_HOST to {EMULATOR}" in hint
    assert "MSGRAPH_ENDPOINT points at an emulator" in hint


def test_graph_call_at_the_public_cloud_with_an_emulator_authority_names_the_missing_graph_endpoint():
    hint = host_hint(settings(AZURE_AUTHORITY_HOST=EMULATOR), GRAPH)
    assert "Graph calls go to the public cloud (graph.microsoft.com)" in hint
    assert "msgraph:graphEndpoint or MSGRAPH_ENDPOINT is not set" in hint
    assert "AZURE_AUTHORITY_HOST points at an emulator" in hint


def test_a_failure_at_the_emulator_side_still_names_the_public_side():
    # The emulator is not running: sign-in fails at the emulator, but Graph would go to the cloud.
    hint = host_hint(settings(AZURE_AUTHORITY_HOST=EMULATOR), f"{EMULATOR}/t/oauth2/v2.0/token")
    assert "msgraph:graphEndpoint or MSGRAPH_ENDPOINT is not set" in hint


def test_a_public_host_set_explicitly_is_named_as_set():
    hint = host_hint(settings(MSGRAPH_ENDPOINT=EMULATOR, AZURE_AUTHORITY_HOST="login.microsoftonline.com"), LOGIN)
    assert "because AZURE_AUTHORITY_HOST names it" in hint


@pytest.mark.parametrize("env", [
    {},                                                                  # both public
    {"MSGRAPH_ENDPOINT": EMULATOR, "AZURE_AUTHORITY_HOST": EMULATOR},    # both the emulator
    {"MSGRAPH_ENDPOINT": "https://graph.proxy.contoso.com"},             # a proxy, not an emulator
])
def test_consistent_hosts_give_no_hint(env):
    assert host_hint(settings(**env), LOGIN) is None
    assert host_hint(settings(**env), GRAPH) is None


def test_a_host_that_is_neither_setting_gives_no_hint():
    assert host_hint(settings(MSGRAPH_ENDPOINT=EMULATOR), "https://example.org/x") is None


def test_add_host_hint_appends_once_to_a_sign_in_failure():
    s = settings(MSGRAPH_ENDPOINT=EMULATOR)
    err = add_host_hint(add_host_hint(E.AuthenticationError("could not sign in"), s), s)
    assert str(err).startswith("could not sign in\n")
    assert str(err).count("AZURE_AUTHORITY_HOST is not set") == 1


def test_add_host_hint_leaves_other_errors_alone():
    err = add_host_hint(E.Forbidden("denied", url=GRAPH), settings(AZURE_AUTHORITY_HOST=EMULATOR))
    assert str(err) == "denied"


class _RefusingCredential:
    description = "refusing"

    def get_token(self, *, force_refresh: bool = False) -> str:
        raise E.AuthenticationError("could not sign in to Microsoft Graph: cannot reach the authority")


def test_client_transport_adds_the_hint_to_a_sign_in_failure():
    s = settings(MSGRAPH_ENDPOINT=EMULATOR)
    t = _HintedTransport(s, s.graph_url, _RefusingCredential(), session=FakeSession([]), verify=True)
    with pytest.raises(E.AuthenticationError) as info:
        t.request("GET", "/groups/g")
    assert "set msgraph:authorityHost or AZURE_AUTHORITY_HOST to https://127.0.0.1:8443" in str(info.value)


class _Token:
    description = "token"

    def get_token(self, *, force_refresh: bool = False) -> str:
        return "t"


def test_client_transport_adds_the_hint_to_a_graph_connection_failure():
    s = settings(AZURE_AUTHORITY_HOST=EMULATOR)
    t = _HintedTransport(s, s.graph_url, _Token(), session=FakeSession([requests.ConnectionError("dns")]),
                         verify=True, retry=RetryPolicy(max_attempts=1), sleep=lambda _s: None)
    with pytest.raises(E.Unavailable) as info:
        t.request("GET", "/groups/g")
    assert "set msgraph:graphEndpoint or MSGRAPH_ENDPOINT to https://127.0.0.1:8443" in str(info.value)


def test_the_client_sends_graph_calls_through_the_hinting_transport():
    from msgraph_membership.graph.client import GraphClient

    client = GraphClient(settings(MSGRAPH_ENDPOINT=EMULATOR))
    assert isinstance(client.t, _HintedTransport)


def test_a_graph_host_that_cannot_be_reached_as_a_configuration_error_gets_the_hint():
    """A Graph host left unset fails with a ConfigurationError carrying the URL (its name does not
    resolve): that too says which host setting to set."""
    s = settings(AZURE_AUTHORITY_HOST=EMULATOR)
    err = add_host_hint(E.ConfigurationError("cannot reach https://graph.microsoft.com", url=GRAPH), s)
    assert f"set msgraph:graphEndpoint or MSGRAPH_ENDPOINT to {EMULATOR} as well" in str(err)
    plain = add_host_hint(E.ConfigurationError("apiVersion must be v1.0 or beta"), s)
    assert "as well" not in str(plain)  # a configuration error that is not about a host: unchanged

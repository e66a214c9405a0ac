"""Where configuration comes from, what it resolves to, and that secrets never show."""
from __future__ import annotations

import pytest

from msgraph_membership.graph.clouds import CLOUDS, UnknownCloud, cloud_named
from msgraph_membership.graph.errors import ConfigurationError
from msgraph_membership.graph.settings import _BOOL_FIELDS, _SECRET_FIELDS, _SOURCES, resolve_settings

from .conftest import SECRET


def _value(field: str, which: str) -> str:
    return "true" if field in _BOOL_FIELDS else ("global" if field == "environment" else f"{which}-{field}")


def _read(settings, field):
    v = getattr(settings, field)
    return v.get_secret_value() if field in _SECRET_FIELDS else v


@pytest.mark.parametrize("field,key,env_names", _SOURCES, ids=[s[1] for s in _SOURCES])
def test_stack_config_wins_over_environment_and_azuread(field, key, env_names):
    if field in _BOOL_FIELDS or field == "environment":
        config = {f"msgraph:{key}": "false" if field in _BOOL_FIELDS else "china",
                  f"azuread:{key}": "true" if field in _BOOL_FIELDS else "usgovernmentl4"}
        env = {env_names[0]: "true" if field in _BOOL_FIELDS else "usgovernmentl5"}
        s = resolve_settings(config, env)
        assert _read(s, field) == (False if field in _BOOL_FIELDS else "china")
    else:
        s = resolve_settings({f"msgraph:{key}": "from-msgraph", f"azuread:{key}": "from-azuread"},
                             {env_names[0]: "from-env"})
        assert _read(s, field) == "from-msgraph"
    assert s.sources[field] == f"msgraph:{key}"


@pytest.mark.parametrize("field,key,env_names", _SOURCES, ids=[s[1] for s in _SOURCES])
def test_environment_wins_over_azuread_in_listed_order(field, key, env_names):
    env = {name: _value(field, name) for name in env_names}
    s = resolve_settings({f"azuread:{key}": _value(field, "azuread")}, env)
    assert s.sources[field] == env_names[0]
    assert _read(s, field) == (True if field in _BOOL_FIELDS else env[env_names[0]])
    for later in env_names[1:]:  # each later name is used when the earlier ones are unset
        s = resolve_settings({}, {later: _value(field, later)})
        assert s.sources[field] == later


@pytest.mark.parametrize("field,key,env_names", _SOURCES, ids=[s[1] for s in _SOURCES])
def test_azuread_namespace_is_the_last_resort(field, key, env_names):
    s = resolve_settings({f"azuread:{key}": _value(field, "azuread")}, {})
    assert s.sources[field] == f"azuread:{key}"


def test_empty_values_fall_through_to_the_next_source():
    s = resolve_settings({"msgraph:tenantId": "", "azuread:tenantId": "t-azuread"}, {"ARM_TENANT_ID": ""})
    assert s.tenant_id == "t-azuread"


def test_config_can_be_a_callable_like_pulumi_config_get():
    s = resolve_settings(lambda k: {"msgraph:clientId": "c1"}.get(k), {})
    assert s.client_id == "c1"


@pytest.mark.parametrize("raw,expected", [("true", True), ("True", True), ("1", True), ("yes", True),
                                          ("on", True), ("false", False), ("FALSE", False), ("0", False),
                                          ("no", False), ("off", False), (" true ", True)])
def test_booleans_parse_the_usual_spellings(raw, expected):
    assert resolve_settings({"msgraph:useMsi": raw}, {}).use_msi is expected


def test_a_bad_boolean_names_where_it_came_from():
    with pytest.raises(ConfigurationError, match="ARM_USE_OIDC.*maybe"):
        resolve_settings({}, {"ARM_USE_OIDC": "maybe"})


def test_unknown_cloud_names_the_valid_ones():
    with pytest.raises(ConfigurationError) as e:
        resolve_settings({"msgraph:environment": "germany"}, {})
    assert isinstance(e.value, UnknownCloud) and isinstance(e.value, ValueError)
    for name in CLOUDS:
        assert name in str(e.value)


@pytest.mark.parametrize("env,graph,login", [
    ("global", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
    ("usgovernmentl4", "https://graph.microsoft.us", "https://login.microsoftonline.us"),
    ("usgovernmentl5", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"),
    ("china", "https://microsoftgraph.chinacloudapi.cn", "https://login.partner.microsoftonline.cn"),
])
def test_each_cloud_selects_graph_host_authority_and_scope(env, graph, login):
    s = resolve_settings({}, {"ARM_ENVIRONMENT": env})
    assert s.graph_url == f"{graph}/v1.0"
    assert s.login_host == login
    assert s.scope == f"{graph}/.default"
    assert s.cloud.resource == graph
    assert not s.authority_overridden


@pytest.mark.parametrize("alias,name", [(None, "global"), ("", "global"), ("public", "global"),
                                        ("AzureCloud", "global"), ("AzureUSGovernment", "usgovernmentl4"),
                                        ("gcchigh", "usgovernmentl4"), ("dod", "usgovernmentl5"),
                                        ("AzureChinaCloud", "china")])
def test_cloud_aliases(alias, name):
    assert cloud_named(alias).name == name


def test_overridden_hosts_keep_the_clouds_scope():
    s = resolve_settings({"msgraph:environment": "usgovernmentl5",
                          "msgraph:graphEndpoint": "https://127.0.0.1:8443/",
                          "msgraph:authorityHost": "https://127.0.0.1:8443/"}, {})
    assert s.graph_url == "https://127.0.0.1:8443/v1.0"
    assert s.login_host == "https://127.0.0.1:8443"
    assert s.scope == "https://dod-graph.microsoft.us/.default"
    assert s.authority_overridden


def test_a_bare_authority_host_gets_https():
    s = resolve_settings({}, {"AZURE_AUTHORITY_HOST": "login.microsoftonline.us"})
    assert s.login_host == "https://login.microsoftonline.us"


def test_api_version_beta_and_bad_value():
    assert resolve_settings({"msgraph:apiVersion": "beta"}, {}).graph_url.endswith("/beta")
    with pytest.raises(ConfigurationError, match="v1.0 or beta"):
        resolve_settings({"msgraph:apiVersion": "v2"}, {}).graph_url


def test_secrets_never_show_in_repr_str_or_json():
    s = resolve_settings({"msgraph:clientSecret": SECRET, "msgraph:oidcToken": SECRET + "-oidc",
                          "msgraph:clientCertificatePassword": SECRET + "-pw"},
                         {"ACTIONS_ID_TOKEN_REQUEST_TOKEN": SECRET + "-gh"})
    for text in (repr(s), str(s), s.model_dump_json(), repr(s.model_dump()), repr(s.identity_key())):
        assert SECRET not in text
    assert s.client_secret.get_secret_value() == SECRET


def test_key_for_names_the_source_actually_used():
    s = resolve_settings({}, {"AZURE_CLIENT_SECRET": "x"})
    assert s.key_for("client_secret") == "AZURE_CLIENT_SECRET"
    assert s.key_for("client_id") == "msgraph:clientId or ARM_CLIENT_ID"


def test_identity_key_differs_by_secret_but_not_by_where_it_came_from():
    a = resolve_settings({"msgraph:clientSecret": "one"}, {})
    b = resolve_settings({}, {"ARM_CLIENT_SECRET": "one"})
    c = resolve_settings({"msgraph:clientSecret": "two"}, {})
    assert a.identity_key() == b.identity_key() != c.identity_key()

"""Refresh and destroy sign in with the state's copy of the stack configuration: what a failed sign-in
adds (graph/staleness.py), from what the provider process can see, never a value."""
import pytest
import yaml

from msgraph_membership.graph import staleness
from msgraph_membership.graph.settings import resolve_settings

OLD, NEW = "old-secret-value", "new-secret-value"
STATE = {"msgraph:tenantId": "t1", "msgraph:clientId": "c1", "msgraph:clientSecret": OLD}


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setattr(staleness, "_program_ran", False)
    monkeypatch.setenv("PULUMI_PROJECT", "proj")
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "proj", "runtime": "python"}))

    def stack_file(config: dict):
        (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path, stack_file


def test_a_setting_removed_from_the_stack_file_and_another_in_the_environment_are_named(project):
    d, stack_file = project
    stack_file({"msgraph:tenantId": "t1", "msgraph:clientId": "c1"})
    note = staleness.stale_note(resolve_settings(STATE, {}), {"ARM_CLIENT_SECRET": NEW}, str(d))
    assert "msgraph:clientSecret is no longer in the stack configuration (Pulumi.dev.yaml)" in note
    assert "ARM_CLIENT_SECRET in the environment holds another value than the msgraph:clientSecret in use" in note
    assert "`pulumi destroy --run-program`" in note and OLD not in note and NEW not in note


def test_a_non_secret_setting_changed_in_the_stack_file_is_named(project):
    d, stack_file = project
    stack_file({"msgraph:tenantId": "t1", "msgraph:clientId": "c2", "msgraph:clientSecret": {"secure": "v1:x"}})
    note = staleness.stale_note(resolve_settings(STATE, {}), {}, str(d))
    assert note.startswith("the sign-in settings in use differ from the current ones: msgraph:clientId in "
                           "Pulumi.dev.yaml holds another value")


def test_nothing_seen_to_differ_still_names_the_fix(project):
    d, stack_file = project
    stack_file({**STATE, "msgraph:clientSecret": {"secure": "v1:x"}})
    note = staleness.stale_note(resolve_settings(STATE, {}), {"ARM_CLIENT_SECRET": OLD}, str(d))
    assert note.startswith("if the credentials changed since the last `pulumi up`: ") and "`pulumi up`" in note


def test_another_projects_directory_is_not_read(project, monkeypatch):
    d, stack_file = project
    stack_file({})
    monkeypatch.setenv("PULUMI_PROJECT", "another")
    assert staleness.differences(resolve_settings(STATE, {}), {}, str(d)) == []


def test_no_note_once_the_program_ran_or_without_stack_configuration(project):
    d, stack_file = project
    stack_file({})
    assert staleness.stale_note(resolve_settings({}, {"ARM_CLIENT_SECRET": OLD, "ARM_CLIENT_ID": "c1"}), {},
                                str(d)) is None
    staleness.program_ran()
    assert staleness.stale_note(resolve_settings(STATE, {}), {}, str(d)) is None

"""The migration guide's rehearsal blocks (docs/migrating-from-azuread.md), checked without the CLI:
they are all there, the programs compile, the lookups name what the guide's directory holds, and
the commands name what the programs declare. tests/cli/test_migration_guide.py runs them."""
from __future__ import annotations

import ast
import re

import pytest

from harness import rehearsal
from harness.source import parse


@pytest.fixture(scope="module")
def found():
    return rehearsal.blocks()


def test_every_block_the_steps_use_is_in_the_guide(found):
    assert set(found) == {*rehearsal.PROGRAMS, "state-delete.sh", "directory.yaml", "env.sh"}


def test_the_finder_refuses_a_marker_without_a_block_and_a_name_used_twice():
    with pytest.raises(ValueError, match="not followed"):
        rehearsal.blocks("<!-- rehearsal: a.py -->\ntext\n")
    with pytest.raises(ValueError, match="twice"):
        rehearsal.blocks("<!-- rehearsal: a.py -->\n```python\nx = 1\n```\n"
                         "<!-- rehearsal: a.py -->\n```python\nx = 2\n```\n")
    indented = rehearsal.blocks("1. step\n\n   <!-- rehearsal: b.py -->\n   ```python\n   if x:\n       y()\n   ```\n")
    assert indented == {"b.py": "if x:\n    y()\n"}


@pytest.mark.parametrize("name", rehearsal.PROGRAMS)
def test_each_program_compiles_and_looks_up_only_what_the_directory_holds(found, name):
    tree = parse(found[name], name)
    names = rehearsal.ids_by_name(rehearsal.seed(found))
    upns = {u["userPrincipalName"] for u in rehearsal.seed(found)["users"]}
    looked_up = [(c.func.attr, kw.value.value) for c in ast.walk(tree) if isinstance(c, ast.Call)
                 and isinstance(c.func, ast.Attribute) and c.func.attr.startswith("get_")
                 for kw in c.keywords]
    assert looked_up, "the programs find their objects with azuread's data sources"
    for fn, value in looked_up:
        assert (value in upns) if fn == "get_user" else (value in names), (fn, value)


def test_the_state_delete_urn_names_a_resource_of_the_program_before(found):
    urn = rehearsal.state_delete_urn(found)
    stack, project, type_, name = re.fullmatch(r"urn:pulumi:([^:]+)::([^:]+)::(.+)::([^:]+)", urn).groups()
    assert (stack, project) == (rehearsal.STACK, rehearsal.PROJECT)
    assert type_ == "azuread:index/groupMember:GroupMember"
    assert f'azuread.GroupMember("{name}"' in found["before.py"]
    assert f'azuread.GroupMember("{name}"' not in found["step-1.py"]
    assert f'GroupMember("{name}"' in found["step-2.py"]  # ours, under the same name


def test_the_directory_holds_the_emulator_apps_service_principal_it_says_it_does(found):
    from msgraph_membership.emulator.seed import DEFAULT_APP_OBJECT_ID

    sps = rehearsal.seed(found)["servicePrincipals"]
    assert [sp["id"] for sp in sps] == [DEFAULT_APP_OBJECT_ID]


def test_env_pins_the_tested_pulumi_azuread_and_exports_what_its_provider_reads(found):
    assert "pulumi-azuread==6.10.0" in rehearsal.pip_pins(found)
    assert set(rehearsal.exports(found)) == {"ARM_METADATA_HOSTNAME", "SSL_CERT_FILE"}
    assert 'msgraph-emulator env --seed directory.yaml' in found["env.sh"]

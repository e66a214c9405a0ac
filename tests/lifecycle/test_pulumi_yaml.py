"""Every Pulumi.yaml in the repository (the root quick-start stack and each example) is a valid
Pulumi project: it matches Pulumi's project schema, and its program directory has `__main__.py`."""
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "data" / "pulumi-project.schema.json"
PROJECTS = sorted([*REPO.glob("Pulumi.yaml"), *REPO.glob("examples/*/Pulumi.yaml")])


def test_the_root_stack_and_every_example_have_a_project_file():
    found = {p.parent.relative_to(REPO).as_posix() for p in PROJECTS}
    assert {".", "examples/quickstart", "examples/batch", "examples/bootstrap"} <= found


@pytest.mark.skipif(not SCHEMA.exists(), reason=f"Pulumi's project schema is not at {SCHEMA}")
@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.parent.relative_to(REPO).as_posix())
def test_project_file_matches_pulumis_schema(project):
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(yaml.safe_load(project.read_text())), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.parent.relative_to(REPO).as_posix())
def test_main_is_a_directory_with_main_py_and_the_virtualenv_is_the_repos(project):
    doc = yaml.safe_load(project.read_text())
    main = (project.parent / doc.get("main", ".")).resolve()
    assert (main / "__main__.py").is_file(), f"{project}: main {main} has no __main__.py"
    runtime = doc["runtime"]
    assert runtime["name"] == "python"
    options = runtime.get("options", {})
    assert options.get("toolchain") == "pip"
    assert (project.parent / options["virtualenv"]).resolve() == (REPO / ".venv").resolve()

"""What users read: no message points at a file a pip user does not have."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import msgraph_membership
from harness.source import parse
from msgraph_membership.graph import errors as E
from msgraph_membership.graph.auth import credential_for
from msgraph_membership.graph.settings import resolve_settings

PACKAGE = Path(msgraph_membership.__file__).parent


def _message_strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module's code, leaving out docstrings and the page names handed to
    `docs_link` (which links them only under a published URL)."""
    tree = parse(path.read_text(), str(path))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
        linking = (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "docs_link") or \
            (isinstance(node, ast.FunctionDef) and node.name == "docs_link")
        if linking:
            docstrings.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py") if "emulator" not in p.parts),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_provider_message_names_a_repository_file(path):
    bad = [(line, text) for line, text in _message_strings(path) if "docs/" in text or ".md" in text]
    assert bad == []


def test_no_credential_left_says_the_fix_in_the_message(monkeypatch):
    """The fix is in the message itself; the docs link is added only under a published URL."""
    settings = resolve_settings({"msgraph:useCli": "false"}, environ={})
    with pytest.raises(E.ConfigurationError) as info:
        credential_for(settings, None)
    msg = str(info.value)
    assert "msgraph:clientId" in msg and "msgraph:clientSecret" in msg
    assert msg.endswith("(see https://github.com/pulumi-msgraph-membership/pulumi-msgraph-membership"
                        "/blob/main/docs/authentication.md)"), msg  # project.urls in pyproject.toml

    import importlib.metadata as md

    monkeypatch.setattr(md, "metadata", lambda name: {})  # a distribution that names no URL
    with pytest.raises(E.ConfigurationError) as info:
        credential_for(settings, None)
    assert "msgraph:clientId" in str(info.value) and ".md" not in str(info.value)


def test_a_published_repository_url_is_linked(monkeypatch):
    import importlib.metadata as md

    class Meta:
        def get_all(self, name):
            return ["Repository, https://example.test/org/pulumi-msgraph-membership/"] if name == "Project-URL" else []

    monkeypatch.setattr(md, "metadata", lambda name: Meta())
    assert E.docs_link("authentication.md") == (
        " (see https://example.test/org/pulumi-msgraph-membership/blob/main/docs/authentication.md)")


def test_the_repository_is_linked_whatever_the_order_of_the_urls(monkeypatch):
    """Documentation names the docs folder, not the repository: the link is built on the repository."""
    import importlib.metadata as md

    class Meta:
        def get_all(self, name):
            return ["Documentation, https://example.test/org/p/tree/main/docs",
                    "Homepage, https://example.test/org/p"] if name == "Project-URL" else []

    monkeypatch.setattr(md, "metadata", lambda name: Meta())
    assert E.docs_link("permissions.md") == " (see https://example.test/org/p/blob/main/docs/permissions.md)"

"""Citations in the repository point only at what a reader of the repository can open.

- No file under provider/, tests/, docs/, bench/, scripts/ (or README.md) cites the project's
  private design notes by file name.
- Every `docs/graph-behaviour.md §N` citation names a section that docs/graph-behaviour.md has,
  and every `§N` inside that document does too.

This file scans itself like any other: the private file names are assembled from pieces below,
so the file does not match its own patterns, but a real citation added here still fails.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "graph-behaviour.md"
SCANNED_DIRS = ("provider", "tests", "docs", "bench", "scripts")
SCANNED_FILES = ("README.md",)
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", "node_modules", ".pytest_cache", ".mypy_cache"}
TEXT_SUFFIXES = {".py", ".md", ".sh", ".txt", ".toml", ".yaml", ".yml", ".json", ".cfg", ".ini",
                 ".html", ".css", ".js", ".csv", ""}

# The private notes, never to be cited: built from pieces so this file does not cite them itself.
_PRIVATE = ["graph-" + "semantics", "inter" + "face", "archi" + "tecture", "an" + "chors",
            "pulumi-dynamic-" + "providers"]
PRIVATE_RE = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in _PRIVATE) + r")\.md\b")
# A citation: the document's name, then one or more section numbers ("§1.2", "§1.2/§3",
# "§1, §2, §3", "§1.1–§1.6", "§1.7, §1.8"); the name may be a Markdown link ("...md) §5").
CITE_RE = re.compile(r"graph-behaviour\.md\)?((?:[\s,/–-]*(?:and\s+)?§\d+(?:\.\d+)*)+)")
SECTION_RE = re.compile(r"§(\d+(?:\.\d+)*)")
HEADING_RE = re.compile(r"^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)


def scanned_files() -> list[Path]:
    files: list[Path] = [ROOT / f for f in SCANNED_FILES if (ROOT / f).is_file()]
    for d in SCANNED_DIRS:
        for p in sorted((ROOT / d).rglob("*")):
            if not p.is_file() or any(part in SKIP_DIRS for part in p.relative_to(ROOT).parts):
                continue
            if p.suffix.lower() in TEXT_SUFFIXES:
                files.append(p)
    return files


def read_text(p: Path) -> str | None:
    raw = p.read_bytes()
    if b"\0" in raw:
        return None
    return raw.decode("utf-8", errors="replace")


def private_citations(text: str) -> list[str]:
    return [m.group(0) for m in PRIVATE_RE.finditer(text)]


def cited_sections(text: str) -> list[str]:
    out: list[str] = []
    for m in CITE_RE.finditer(text):
        out += SECTION_RE.findall(m.group(1))
    return out


def doc_sections() -> set[str]:
    return set(HEADING_RE.findall(DOC.read_text(encoding="utf-8")))


def test_the_detectors_flag_what_they_must():
    """The patterns themselves: without this, a broken pattern would let every check pass."""
    private = "see " + _PRIVATE[0] + ".md §1.2 and " + _PRIVATE[1] + ".md"
    assert len(private_citations(private)) == 2
    assert private_citations("docs/graph-behaviour.md §1.2, docs/permissions.md") == []
    assert cited_sections("(docs/graph-behaviour.md §1.2/§3)") == ["1.2", "3"]
    assert cited_sections("docs/graph-behaviour.md §1, §2, §3") == ["1", "2", "3"]
    assert cited_sections("(docs/graph-behaviour.md\n§6)") == ["6"]
    assert cited_sections("[docs/graph-behaviour.md](../docs/graph-behaviour.md) §5") == ["5"]
    assert cited_sections("graph-behaviour.md §1.1–§1.6") == ["1.1", "1.6"]


def test_the_document_has_the_cited_sections():
    sections = doc_sections()
    for s in ("0", "1", "1.1", "1.9", "2", "3", "4", "4.3", "5", "6", "7", "7.2", "8", "9"):
        assert s in sections, f"docs/graph-behaviour.md lost section {s}"


def test_no_file_cites_the_private_notes():
    files = scanned_files()
    assert any(p.name == Path(__file__).name for p in files), "the scan must include this file"
    found = []
    for p in files:
        text = read_text(p)
        if text is None:
            continue
        for lineno, line in enumerate(text.splitlines(), 1):
            for hit in private_citations(line):
                found.append(f"{p.relative_to(ROOT)}:{lineno}: {hit}")
    assert not found, "cites a file a reader of the repository cannot open:\n" + "\n".join(found)


def test_every_graph_behaviour_citation_names_an_existing_section():
    sections = doc_sections()
    bad, total = [], 0
    for p in scanned_files():
        text = read_text(p)
        if text is None:
            continue
        for m in CITE_RE.finditer(text):
            lineno = text.count("\n", 0, m.start()) + 1
            for s in SECTION_RE.findall(m.group(1)):
                total += 1
                if s not in sections:
                    bad.append(f"{p.relative_to(ROOT)}:{lineno}: §{s}")
    assert total > 50, f"only {total} citations found: the scan or the pattern is broken"
    assert not bad, "docs/graph-behaviour.md has no such section:\n" + "\n".join(bad)


def test_the_document_refers_only_to_its_own_sections():
    sections = doc_sections()
    text = DOC.read_text(encoding="utf-8")
    bad = sorted({s for s in SECTION_RE.findall(text) if s not in sections})
    assert not bad, f"docs/graph-behaviour.md refers to missing sections: {bad}"

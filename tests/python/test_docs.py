"""The documentation's examples run: every ```python block of README.md and docs/*.md, in
order, one namespace per file (a later block may use what an earlier one made), in a
scratch directory. Blocks marked ``file=NAME`` after their language (```yaml
file=policy.yaml) are written there first; YAML and JSON blocks that are policy files
(they name ``tierkit:``) must load with tk.Tiering.from_file. A block whose first line is
``# doctest: skip`` is not run (for data files that are not in the repository); one whose
first line is ``# doctest: needs matplotlib`` (package names, comma-separated) runs only
where those packages import. Relative links must point at files that exist."""
from __future__ import annotations

import importlib.util
import re
import textwrap
from pathlib import Path

import pytest

import tierkit as tk

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# Files linked before they land (written on another branch).
PENDING: set[Path] = set()

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.M | re.S)


def blocks(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        info = dict(re.findall(r"(\w+)=(\S+)", m.group("info")))
        out.append({"lang": m.group("lang").lower(), "file": info.get("file"),
                    "body": textwrap.dedent(m.group("body")),
                    "line": text.count("\n", 0, m.start()) + 1})
    return out


def _id(path: Path) -> str:
    return str(path.relative_to(REPO))


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_examples_run(doc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = blocks(doc)
    for b in found:
        if b["file"]:
            (tmp_path / b["file"]).write_text(b["body"], encoding="utf-8")
    for b in found:
        if b["lang"] in ("yaml", "json") and re.search(r'^\s*"?tierkit"?\s*:', b["body"], re.M):
            policy = tmp_path / (b["file"] or f"block-{b['line']}.{b['lang']}")
            if not b["file"]:
                policy.write_text(b["body"], encoding="utf-8")
            try:
                tk.Tiering.from_file(policy)
            except Exception as e:  # pragma: no cover - the message is the point
                pytest.fail(f"{_id(doc)}:{b['line']}: the policy file does not load: {e}")
    namespace: dict = {"__name__": "__docs__"}
    for b in found:
        if b["lang"] != "python" or b["body"].lstrip().startswith("# doctest: skip"):
            continue
        needs = re.match(r"\s*# doctest: needs ([\w., ]+)", b["body"])
        if needs and not all(importlib.util.find_spec(m.strip()) for m in needs.group(1).split(",")):
            continue
        code = compile(b["body"], f"{_id(doc)}:{b['line']}", "exec")
        try:
            exec(code, namespace)
        except Exception as e:
            pytest.fail(f"{_id(doc)}: the example at line {b['line']} fails: {type(e).__name__}: {e}")


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_relative_links_exist(doc):
    text = doc.read_text(encoding="utf-8")
    text = FENCE.sub("", text)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.exists() or path in PENDING, f"{_id(doc)} links to {target}, which does not exist"


def test_skips_are_rare():
    skipped = [(d, b["line"]) for d in DOCS for b in blocks(d)
               if b["lang"] == "python" and b["body"].lstrip().startswith(("# doctest: skip", "# doctest: needs"))]
    runnable = [b for d in DOCS for b in blocks(d) if b["lang"] == "python"]
    assert len(skipped) * 10 <= len(runnable), f"too many skipped examples: {skipped}"

"""The compute-receipts page (chapters/compute.md) lists every chapter, and is exactly what
`python tools/notebooks.py execute` wrote from chapters/compute.json (never edited by hand)."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_tool():
    spec = importlib.util.spec_from_file_location("book_notebooks_tool", ROOT / "tools" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_is_in_the_book():
    assert "chapters/compute" in (ROOT / "_toc.yml").read_text(), "_toc.yml must list chapters/compute"


def test_every_chapter_has_a_receipt():
    tool = load_tool()
    data = json.loads(tool.COMPUTE_JSON.read_text())
    chapters = [p.name for p in tool.toc_notebooks()]
    missing = [name for name in chapters if name not in data]
    assert not missing, f"no compute receipt for {missing}: run `python tools/notebooks.py execute` on them"
    page = tool.COMPUTE_PAGE.read_text()
    for name in chapters:
        row = data[name]
        assert f"({Path(name).stem}.ipynb)" in page, f"the page does not list {name}"
        assert row["wall_seconds"] > 0 and row["peak_mib"] > 0 and row["machine"], row
        trained = row["training_runs"] > 0
        assert (row["tokens"] > 0 and row["flops"] > 0 and row["largest_model_parameters"] > 0) == trained, row


def test_the_page_is_generated_from_its_data():
    tool = load_tool()
    expected = tool.compute_page(json.loads(tool.COMPUTE_JSON.read_text()))
    assert tool.COMPUTE_PAGE.read_text() == expected, (
        "chapters/compute.md differs from what its data gives: run `python tools/notebooks.py page`"
    )

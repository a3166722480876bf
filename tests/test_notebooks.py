"""Hygiene of the committed chapter notebooks (CONTRIBUTING.md, "The notebook rules"): clean outputs from one fresh
top-to-bottom run, the Colab set-up cell first, `tinylm.setup` second, exercises and citations."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
REPOSITORY_URL = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
WIDGET = "application/vnd.jupyter.widget-view+json"
LEAKED_PATH = re.compile(r"(/work/|/root/|/tmp/|/home/|/Users/|[A-Z]:\\Users\\)")
TEXT_MIMETYPES = ("text/plain", "text/html", "text/markdown", "text/latex", "image/svg+xml", "application/json")


def read(path: Path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def outputs(nb):
    """(execution count, output) for every output of every code cell."""
    return [(cell.execution_count, out) for cell in code_cells(nb) for out in cell.get("outputs", [])]


def output_text(out) -> str:
    """The human-readable text of one output (never base64 images, whose alphabet contains '/')."""
    if out.output_type == "stream":
        return out.text
    if out.output_type == "error":
        return "\n".join(out.traceback)
    data = out.get("data", {})
    return "\n".join(str(data[m]) for m in TEXT_MIMETYPES if m in data)


def test_the_book_has_chapters():
    assert NOTEBOOKS, "chapters/ holds no notebooks: the book must have chapters"


notebooks = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])


@notebooks
def test_valid_notebook_with_python3_kernel(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "kernelspec must be `python3`"


@notebooks
def test_outputs_come_from_one_fresh_run(path):
    counts = [cell.execution_count for cell in code_cells(read(path))]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts} are not 1..{len(counts)}: re-run with `python tools/notebooks.py execute {path.name}`"
    )


@notebooks
def test_no_errors_stderr_or_widgets(path):
    bad = []
    for count, out in outputs(read(path)):
        if out.output_type == "error":
            bad.append(f"cell [{count}]: error output {out.ename}: {out.evalue}")
        elif out.output_type == "stream" and out.name == "stderr":
            bad.append(f"cell [{count}]: stderr output: {out.text[:200]!r}")
        elif WIDGET in out.get("data", {}):
            bad.append(f"cell [{count}]: widget output (a progress bar?)")
    assert not bad, "\n".join(bad)


@notebooks
def test_no_paths_of_the_authors_machine_in_outputs(path):
    leaks = [
        f"cell [{count}]: {line.strip()[:200]}"
        for count, out in outputs(read(path))
        for line in output_text(out).splitlines()
        if LEAKED_PATH.search(line)
    ]
    assert not leaks, "outputs show absolute paths of the machine that ran them:\n" + "\n".join(leaks)


@notebooks
def test_first_code_cell_sets_up_colab(path):
    cells = code_cells(read(path))
    assert cells, "the notebook has no code cells"
    source = cells[0].source
    assert re.search(r"""["']google\.colab["'] in sys\.modules""", source), (
        'the first code cell must be the Colab set-up, guarded by `"google.colab" in sys.modules`'
    )
    assert "remove-cell" in cells[0].metadata.get("tags", []), "the Colab set-up cell must be tagged `remove-cell`"
    assert "pip install" in source, "the Colab set-up cell must pip-install tinylm"
    installs = [url.strip("'\"") for url in re.findall(r"git\+\S+", source)]
    assert installs == [f"git+{REPOSITORY_URL}"], (
        f"the Colab set-up cell installs {installs}, not `git+{REPOSITORY_URL}` (the repository in _config.yml)"
    )


@notebooks
def test_second_code_cell_calls_tinylm_setup(path):
    cells = code_cells(read(path))
    assert len(cells) >= 2 and "tinylm.setup(" in cells[1].source, "the second code cell must call `tinylm.setup(...)`"


@notebooks
def test_has_exercises_and_citations(path):
    markdown = "\n".join(cell.source for cell in read(path).cells if cell.cell_type == "markdown")
    assert re.search(r"^## Exercises|\{exercise\}", markdown, re.MULTILINE), (
        "no exercises: add a `## Exercises` section with `{exercise}` directives"
    )
    assert "{cite" in markdown, "no references: cite the papers with {cite}`key`"


def comment_lines(markdown: str) -> list[str]:
    """Lines outside code fences that MyST reads as comments (they start with %) and drops from the page."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.lstrip().startswith("%"):
            found.append(line)
    return found


def test_comment_lines_are_found_outside_fences_only():
    text = "We get {glue:text}`x:.0f`\n% of the lines.\n```\n%pip install x\n```"
    assert comment_lines(text) == ["% of the lines."]


@notebooks
def test_no_prose_is_lost_to_a_myst_comment(path):
    """A glued number that ends a line, followed by "% of ..." on the next, silently loses the rest of the line."""
    lost = [line for cell in read(path).cells if cell.cell_type == "markdown" for line in comment_lines(cell.source)]
    assert not lost, f"these lines start with % and are dropped from the page as MyST comments: {lost[:3]}"

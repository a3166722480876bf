"""Re-execute the book's notebooks in place, or time them against the book's budget.

    python tools/notebooks.py execute [NOTEBOOK ...]   run top to bottom in a fresh kernel, write outputs,
                                                     and update the compute-receipts page
    python tools/notebooks.py time [NOTEBOOK ...]      run without writing; print wall time and peak memory
    python tools/notebooks.py page                     rewrite the compute-receipts page from its data

With no NOTEBOOK, every chapter notebook listed in _toc.yml is used, in the order of the book.
Each notebook runs in a child process (which starts the kernel), so the child's resource usage,
read with os.wait4, gives the peak memory of the kernel that ran the notebook. While it runs,
every `tinylm.train.train` call appends its receipt to a file named by $TINYLM_RECEIPTS; `execute`
sums them into chapters/compute.json and rewrites the page chapters/compute.md from it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_BUDGET_S = 120  # per notebook, on 2 CPU cores (CONTRIBUTING.md, "Budgets")
BOOK_BUDGET_S = 40 * 60  # the whole book (CI runs it two notebooks at a time, one thread each, in under 45 min)
CELL_TIMEOUT_S = 900  # generous: a cell that runs this long is a bug, not a slow machine
WRITE_THREADS = 2  # the committed outputs are written with 2 threads; the tests check them with 1
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def toc_notebooks() -> list[Path]:
    """The .ipynb files listed in _toc.yml, in the order of the book."""
    import yaml

    def files(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("root", "file"):
                    yield value
                else:
                    yield from files(value)
        elif isinstance(node, list):
            for item in node:
                yield from files(item)

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    paths = [ROOT / (f if f.endswith(".ipynb") else f + ".ipynb") for f in files(toc)]
    return [p for p in paths if p.exists()]


def execute_notebook(path: Path, write: bool) -> None:
    """Run one notebook top to bottom in a fresh python3 kernel (in this process); write it if asked."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(path.parent)}},  # the kernel's cwd
        record_timing=False,  # no per-cell timestamps in the committed notebooks
        store_widget_state=False,
    )
    try:
        client.execute()
    except CellExecutionError as error:
        sys.exit(f"\n{path.name}: a cell failed; the notebook was NOT written.\n{error}")
    if write:
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nbformat.validate(nb)
        nbformat.write(nb, path)


def run_in_child(path: Path, write: bool) -> dict:
    """Execute a notebook in a child process; return its wall seconds, peak memory (MiB), status and receipts."""
    command = [sys.executable, __file__, "_child", str(path)] + (["--write"] if write else [])
    receipts = Path(tempfile.mkstemp(prefix="receipts-", suffix=".jsonl")[1])
    # the kernel inherits these: no progress bars in outputs, the thread count the outputs are written
    # with (the tests re-execute with another count, see conftest.py), and where training runs log receipts
    env = dict(os.environ, TINYLM_QUIET="1", TINYLM_THREADS=str(WRITE_THREADS), TINYLM_RECEIPTS=str(receipts))
    # the kernel imports this checkout's tinylm, whatever copy pip last installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    runs = [json.loads(line) for line in receipts.read_text().splitlines() if line.strip()]
    receipts.unlink()
    # ru_maxrss (KiB on Linux) of a reaped child covers its reaped descendants, here the kernel.
    peak_mib = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    if os.waitstatus_to_exitcode(status) != 0:
        verdict = "FAIL"
    elif seconds > NOTEBOOK_BUDGET_S:
        verdict = f"over the {NOTEBOOK_BUDGET_S} s budget"
    else:
        verdict = "ok"
    return {
        "notebook": path.name,
        "seconds": round(seconds, 1),
        "peak_mib": round(peak_mib),
        "status": verdict,
        "runs": runs,
    }


COMPUTE_JSON = ROOT / "chapters" / "compute.json"  # one row per chapter, kept by `execute`
COMPUTE_PAGE = ROOT / "chapters" / "compute.md"  # the book's page, generated from COMPUTE_JSON


def machine() -> str:
    """The CPU model and core count of this machine, e.g. 'Intel(R) Xeon(R) Processor, 2 cores'."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores"


def chapter_title(path: Path) -> str:
    """The notebook's first level-1 heading ('3. GPT: the decoder ...'), or its file name."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        for line in cell.source.splitlines() if cell.cell_type == "markdown" else []:
            if line.startswith("# "):
                return line[2:].strip()
    return path.stem


def compute_row(path: Path, result: dict) -> dict:
    """One chapter's compute receipt: its training runs summed, its wall time and memory, and the machine."""
    import torch
    import transformers

    runs = result["runs"]
    return {
        "notebook": path.name,
        "title": chapter_title(path),
        "training_runs": len(runs),
        "largest_model_parameters": max((r["parameters"] for r in runs), default=0),
        "tokens": sum(r["tokens"] for r in runs),
        "flops": sum(r["flops"] for r in runs),
        "training_seconds": round(sum(r["seconds"] for r in runs), 1),
        "wall_seconds": result["seconds"],
        "peak_mib": result["peak_mib"],
        "machine": machine(),
        "threads": WRITE_THREADS,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "date": datetime.date.today().isoformat(),
    }


def update_compute(rows: list[dict]) -> None:
    """Store the rows of the chapters just executed in COMPUTE_JSON (keeping the others) and rewrite the page."""
    data = json.loads(COMPUTE_JSON.read_text()) if COMPUTE_JSON.exists() else {}
    data.update({row["notebook"]: row for row in rows})
    listed = {p.name for p in toc_notebooks()}
    data = {name: row for name, row in data.items() if name in listed}  # chapters no longer in the book go
    COMPUTE_JSON.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    COMPUTE_PAGE.write_text(compute_page(data))


def _si(x: float) -> str:
    """A count in engineering style: 1.2 M, 3.4 G, 5.6 T."""
    for unit, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.1f} {unit}"
    return f"{x:.0f}"


def compute_page(data: dict) -> str:
    """The Markdown of the compute-receipts page, chapters in the order of the book."""
    order = [p.name for p in toc_notebooks()]
    rows = [data[name] for name in order if name in data]
    lines = [
        "# Compute receipts",
        "",
        "What every chapter cost when its committed outputs were made: one top-to-bottom run in a fresh kernel",
        "by `python tools/notebooks.py execute`, which writes this page (do not edit it by hand). *Training runs*",
        "counts the calls of `tinylm.train.train` (pre-training, fine-tuning, ablations); *parameters* is the",
        "largest model's trainable parameter count $N$; *tokens* are all the tokens the runs trained on ($D$,",
        "summed); *training FLOPs* are estimated as $6ND$ per run and summed (chapter 1 counts them per stack on",
        "real tokens; chapter 8 also counts them exactly with `FlopCounterMode`); *wall* is the whole notebook,",
        "set-up, evaluation and plots included; *peak memory* is the kernel's resident set. The budget is 120 s",
        "per notebook and 40 minutes for the",
        "book, on 2 CPU cores.",
        "",
        "| chapter | training runs | parameters | tokens | training FLOPs | training s | wall s | peak memory |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        stem = Path(r["notebook"]).stem
        trained = r["training_runs"] > 0
        cost = [_si(r[k]) if trained else "–" for k in ("largest_model_parameters", "tokens", "flops")]
        seconds = f"{r['training_seconds']:.0f}" if trained else "–"
        lines.append(
            f"| [{r['title'].split(':')[0]}]({stem}.ipynb) | {r['training_runs']} | {' | '.join(cost)} | {seconds} | "
            f"{r['wall_seconds']:.0f} | {r['peak_mib'] / 1024:.1f} GiB |"
        )
    total = sum(r["wall_seconds"] for r in rows)
    lines.append(
        f"| **the whole book** | {sum(r['training_runs'] for r in rows)} | | "
        f"{_si(sum(r['tokens'] for r in rows))} | {_si(sum(r['flops'] for r in rows))} | "
        f"{sum(r['training_seconds'] for r in rows):.0f} | {total:.0f} | |"
    )
    machines = sorted({(r["machine"], r["threads"], r["torch"], r["transformers"]) for r in rows})
    lines += ["", "Made on:", ""]
    for cpu, threads, torch_version, transformers_version in machines:
        names = [
            Path(r["notebook"]).stem
            for r in rows
            if (r["machine"], r["threads"], r["torch"], r["transformers"])
            == (cpu, threads, torch_version, transformers_version)
        ]
        dates = sorted({r["date"] for r in rows if Path(r["notebook"]).stem in names})
        when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
        lines.append(
            f"- {cpu}, {threads} threads, torch {torch_version}, transformers {transformers_version} "
            f"({when}): {len(names)} of {len(rows)} chapters"
        )
    return "\n".join(lines) + "\n"


def table(rows: list[dict]) -> str:
    """The timings as a Markdown table, with a total line against the book's budget."""
    lines = ["| notebook | wall s | peak MiB | status |", "|---|---:|---:|---|"]
    lines += [f"| {r['notebook']} | {r['seconds']:.1f} | {r['peak_mib']} | {r['status']} |" for r in rows]
    total = sum(r["seconds"] for r in rows)
    peak = max((r["peak_mib"] for r in rows), default=0)
    failed = any(r["status"] == "FAIL" for r in rows)
    budget = f"the book's {BOOK_BUDGET_S // 60} min budget"
    verdict = "FAIL" if failed else f"within {budget}" if total <= BOOK_BUDGET_S else f"over {budget}"
    lines.append(f"| **total** ({len(rows)} notebooks) | {total:.1f} | {peak} | {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{execute,time,page}")
    commands.add_parser("page", help="rewrite chapters/compute.md from chapters/compute.json")
    execute = commands.add_parser("execute", help="re-execute notebooks in place, each in a fresh kernel")
    timing = commands.add_parser("time", help="execute without writing; print wall time and peak memory")
    timing.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers to PATH as JSON")
    for sub in (execute, timing):
        sub.add_argument("notebooks", nargs="*", type=Path, metavar="NOTEBOOK", help="default: all in _toc.yml")
    child = commands.add_parser("_child")  # internal: what run_in_child runs
    child.add_argument("notebook", type=Path)
    child.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)

    if args.command == "_child":
        execute_notebook(args.notebook, args.write)
        return 0
    if args.command == "page":
        update_compute([])
        return 0

    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing or not notebooks:
        parser.error(f"no such notebook: {', '.join(missing)}" if missing else "_toc.yml lists no notebook that exists")
    rows = []
    for path in notebooks:
        print(f"{args.command}: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
        rows.append(run_in_child(path, write=args.command == "execute"))
        if args.command == "execute" and rows[-1]["status"] == "FAIL":
            break  # stop at the first broken notebook; it was not written
    if args.command == "execute":
        update_compute([compute_row(path, row) for path, row in zip(notebooks, rows) if row["status"] != "FAIL"])
    print(table(rows))
    if getattr(args, "json", None):
        total = sum(r["seconds"] for r in rows)
        plain = [{k: v for k, v in r.items() if k != "runs"} for r in rows]
        args.json.write_text(json.dumps({"notebooks": plain, "total_seconds": round(total, 1)}, indent=2) + "\n")
    return 1 if any(r["status"] == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Re-execute the book's notebooks in place, or time them against the book's budget.

    python tools/notebooks.py execute [NOTEBOOK ...]   run top to bottom in a fresh kernel, write outputs
    python tools/notebooks.py time [NOTEBOOK ...]      run without writing; print wall time and peak memory

With no NOTEBOOK, every chapter notebook listed in _toc.yml is used, in the order of the book.
Each notebook runs in a child process (which starts the kernel), so the child's resource usage,
read with os.wait4, gives the peak memory of the kernel that ran the notebook.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_BUDGET_S = 120  # per notebook, on 2 CPU cores (BOOK.md)
BOOK_BUDGET_S = 20 * 60  # the whole book
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
    """Execute a notebook in a child process; return its wall seconds, peak memory (MiB) and status."""
    command = [sys.executable, __file__, "_child", str(path)] + (["--write"] if write else [])
    # the kernel inherits these: no progress bars in outputs, and the thread count the outputs are written
    # with (the tests re-execute with another count, see conftest.py)
    env = dict(os.environ, TINYLM_QUIET="1", TINYLM_THREADS=str(WRITE_THREADS))
    # the kernel imports this checkout's tinylm, whatever copy pip last installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    # ru_maxrss (KiB on Linux) of a reaped child covers its reaped descendants, here the kernel.
    peak_mib = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    if os.waitstatus_to_exitcode(status) != 0:
        verdict = "FAIL"
    elif seconds > NOTEBOOK_BUDGET_S:
        verdict = f"over the {NOTEBOOK_BUDGET_S} s budget"
    else:
        verdict = "ok"
    return {"notebook": path.name, "seconds": round(seconds, 1), "peak_mib": round(peak_mib), "status": verdict}


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
    commands = parser.add_subparsers(dest="command", required=True, metavar="{execute,time}")
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
    print(table(rows))
    if getattr(args, "json", None):
        total = sum(r["seconds"] for r in rows)
        args.json.write_text(json.dumps({"notebooks": rows, "total_seconds": round(total, 1)}, indent=2) + "\n")
    return 1 if any(r["status"] == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

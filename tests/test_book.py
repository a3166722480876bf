"""The book as readers get it: a strict build with zero warnings, a table of contents that matches
the chapters, and every page checked in a real browser (headless Chromium driven by Playwright)."""

import contextlib
import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("TINYLM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PROBLEM_LINE = re.compile(r"WARNING|warning:|ERROR|CRITICAL")


def toc_files() -> list[str]:
    """Every `root` and `file` entry of _toc.yml, as written there, in the order of the book."""

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from [value] if key in ("root", "file") else walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return list(walk(yaml.safe_load((ROOT / "_toc.yml").read_text())))


def page_name(entry: str) -> str:
    """A toc entry without its suffix: 'chapters/01_transformer.ipynb' -> 'chapters/01_transformer'."""
    return re.sub(r"\.(md|ipynb)$", "", entry)


# --- the strict build --------------------------------------------------------------------------


def test_strict_build_has_no_warnings(built_site):
    returncode, output, _ = built_site
    problems = [line for line in output.splitlines() if PROBLEM_LINE.search(line)]
    details = "\n".join(problems) if problems else "the end of its output:\n" + output[-3000:]
    assert returncode == 0 and not problems, (
        f"`jupyter-book build --all -W -n --keep-going` exited {returncode} with {len(problems)} warnings; {details}"
    )


# --- the table of contents ---------------------------------------------------------------------


def test_toc_lists_only_files_that_exist():
    entries = toc_files()
    assert entries, "_toc.yml lists no pages"
    missing = [
        e for e in entries if not any((ROOT / (page_name(e) + suffix)).is_file() for suffix in (".md", ".ipynb"))
    ]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"


def test_every_chapter_is_in_the_toc():
    listed = {page_name(e) for e in toc_files()}
    pages = sorted((ROOT / "chapters").glob("*.md")) + sorted((ROOT / "chapters").glob("*.ipynb"))
    orphans = [str(p.relative_to(ROOT)) for p in pages if str(p.relative_to(ROOT).with_suffix("")) not in listed]
    assert not orphans, f"pages in chapters/ that _toc.yml does not list (readers cannot reach them): {orphans}"


# --- the built site in a real browser ----------------------------------------------------------


@contextlib.contextmanager
def serve(folder: Path):
    """Serve `folder` over HTTP on 127.0.0.1 (a free port) in a thread; yield the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def is_offsite(url: str) -> bool:
    """An http(s) URL of another host than the test server: the theme's CDN assets, fonts."""
    return urlparse(url).scheme in ("http", "https") and urlparse(url).hostname != "127.0.0.1"


# Ask every image to load now (not lazily), wait for it, and return the URLs of those that did not decode.
BROKEN_IMAGES_JS = """async () => {
  const broken = [];
  for (const img of Array.from(document.images)) {
    img.loading = "eager";
    try { await img.decode(); } catch (error) {}
    if (!(img.complete && img.naturalWidth > 0)) broken.push(img.src || img.outerHTML);
  }
  return broken;
}"""
# Equations: MathJax is served from the site itself (_static/mathjax, from sphinx-mathjax-offline), so they are
# checked offline too. Code (pre, code), scripts and styles may hold backslashes and dollars that are not TeX.
TEX_DELIMITERS = ("$$", "\\(", "\\[", "\\begin{")
NOT_PROSE = re.compile(r"<(pre|code|script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
MATH_TIMEOUT_MS = 30_000
# Wait (bounded) for MathJax's first typesetting, then report where it came from, what it rendered, its
# errors (mjx-merror, and undefined macros, which its `noundefined` package shows in red instead of
# failing), and any TeX delimiters still visible outside code.
MATH_JS = """async (timeoutMs) => {
  const mathjax = window.MathJax;  // before the script loads it is the config object, without `startup`
  let startup = "did not load (no MathJax.startup)";
  if (mathjax && mathjax.startup && mathjax.startup.promise) {
    startup = await Promise.race([
      mathjax.startup.promise.then(() => "resolved", error => `startup.promise rejected: ${error}`),
      new Promise(resolve => setTimeout(() => resolve(`startup.promise unresolved after ${timeoutMs} ms`),
                                        timeoutMs))]);
  }
  const undefinedMacros = [];
  if (startup === "resolved") {
    for (const item of mathjax.startup.document.math) {
      item.root.walkTree(node => {
        if (node.isKind("mtext") && node.attributes.get("mathcolor") === "red") undefinedMacros.push(node.getText());
      });
    }
  }
  const visible = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent && !parent.closest("pre, code, script, style") && parent.checkVisibility()) visible.push(node.data);
  }
  return {
    scripts: Array.from(document.scripts, s => s.src).filter(src => /mathjax/i.test(src)),
    startup,
    version: (mathjax && mathjax.version) || null,
    rendered: document.querySelectorAll("mjx-container").length,
    errors: Array.from(document.querySelectorAll("mjx-merror"), e => e.getAttribute("data-mjx-error") || e.textContent),
    undefinedMacros,
    visibleText: visible.join(" "),
  };
}"""


def tex_in_source(html: str) -> list[str]:
    """The TeX delimiters in a page's HTML source outside code, scripts and styles."""
    prose = NOT_PROSE.sub("", html)
    return [d for d in TEX_DELIMITERS if d in prose]


def math_problems(page, url: str, source: str) -> tuple[int, list[str]]:
    """On a page with equations: MathJax came from this site, finished, and rendered every equation without an
    error, leaving no raw TeX on screen. A page without equations (no `.math` element, no TeX delimiter in its
    prose) gets no check. Return (the number of math elements, the problems)."""
    elements = page.locator(".math").count()  # myst's dollarmath and amsmath: span.math, div.math
    delimiters = tex_in_source(source)
    if not elements and not delimiters:
        return 0, []
    math = page.evaluate(MATH_JS, MATH_TIMEOUT_MS)
    where = f"{url} ({elements} math elements; TeX delimiters in the source: {' '.join(delimiters) or 'none'})"
    problems = []
    if not math["scripts"] or any(urlparse(src).netloc != urlparse(url).netloc for src in math["scripts"]):
        problems.append(f"{where}: MathJax must come from this site, not {math['scripts'] or 'nowhere'}")
    if math["startup"] != "resolved":
        problems.append(f"{where}: MathJax {math['startup']}")
        return elements, problems
    if math["rendered"] < max(elements, 1):
        problems.append(f"{where}: MathJax {math['version']} rendered only {math['rendered']} equations")
    if math["errors"]:
        problems.append(f"{where}: MathJax errors (mjx-merror): {math['errors']}")
    if math["undefinedMacros"]:
        problems.append(f"{where}: undefined TeX macros: {' '.join(math['undefinedMacros'])}")
    raw = [d for d in TEX_DELIMITERS if d in math["visibleText"]]
    if raw:
        problems.append(f"{where}: raw TeX left in the visible text: {' '.join(raw)}")
    return elements, problems


def check_page(page, url: str, screenshot: Path) -> tuple[list[str], list[str], int]:
    """Load one page; return (problems of the site's own files, failures of off-site assets, equations checked)."""
    problems, offsite = [], []

    def failed(url, why):
        if urlparse(url).path == "/favicon.ico":
            return  # the browser asks for it unprompted; the site never links it
        (offsite if is_offsite(url) else problems).append(f"{url}: {why}")

    page.on("requestfailed", lambda request: failed(request.url, request.failure))
    page.on("response", lambda response: response.status >= 400 and failed(response.url, f"HTTP {response.status}"))
    page.on(
        "console",
        lambda message: (
            message.type == "error" and failed(message.location.get("url") or url, f"console error: {message.text}")
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{url}: uncaught exception: {error}"))

    response = page.goto(url, wait_until="load", timeout=60_000)
    if response is None or response.status != 200:
        return [f"{url}: HTTP {response.status if response else 'no response'}"], offsite, 0
    for src in page.evaluate(BROKEN_IMAGES_JS):
        failed(src, f"image on {url} did not load or decode")
    equations, wrong = math_problems(page, url, response.text())
    page.screenshot(path=str(screenshot), full_page=True)
    return problems + wrong, offsite, equations


def test_every_page_in_a_real_browser(built_site, tmp_path):
    _, output, html = built_site
    assert html.is_dir(), "the build made no HTML:\n" + output[-3000:]
    try:
        from playwright.sync_api import sync_playwright

        missing = None if Path(CHROMIUM).exists() else f"no Chromium at {CHROMIUM} (set TINYLM_CHROMIUM)"
    except ImportError:
        missing = "playwright is not installed"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser check must run in CI: {missing}")
        pytest.skip(f"cannot check the site in a browser: {missing}")

    pages = [page_name(e) for e in toc_files()]
    problems, offsite = [], []
    with serve(html) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name in pages:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                screenshot = tmp_path / (name.replace("/", "__") + ".png")
                own, theirs, equations = check_page(page, f"{base}/{name}.html", screenshot)
                page.close()
                problems += own
                offsite += theirs
                print(f"{name}: {len(own)} problems, {equations} equations checked; screenshot {screenshot}")
        finally:
            browser.close()

    if offsite:
        print(f"{len(offsite)} off-site requests failed (expected offline; not the site's own files):")
        print("\n".join(sorted(set(offsite))))
    assert not problems, f"{len(problems)} problems with the site's own files:\n" + "\n".join(problems)

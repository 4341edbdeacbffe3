"""The built site, tested as a reader meets it: in a real browser, over HTTP.

Serves ``_build/html`` (run ``make book`` first; ``make test`` does; ``HLMTUTOR_SITE`` names another
build) on 127.0.0.1 and opens every page of ``_toc.yml`` in headless Chromium driven by Playwright. Each page must load without console
errors, show every image with alt text, and link only to pages and anchors that exist; every
notebook page offers a valid ``.ipynb`` download; the search finds "ICC"; and the null-model and
full-model chapters show R's key numbers, parsed from ``tests/reference/guide-output.txt`` (written
by ``Rscript tests/reference/guide.R``).

Every request that leaves the site (anything not on 127.0.0.1) is aborted and fails the page, so
the test needs no network and shows the site as a reader without one sees it: MathJax is served by
the site itself (``book/_static/mathjax``). On every page MathJax must have typeset each formula
(no raw TeX such as ``\\(`` or ``$$`` left in the text), no output block may show stderr (a
warning printed into the page), and no raw MyST role (``{glue:text}`...```, ``{term}`...``` and
the like) may stand in the visible text. At 1,280 px wide, no display equation or table may be cut
off: each fits the text column or scrolls inside it; and no code a reader sees calls ``glue`` or
imports ``myst_nb`` (the build's bookkeeping stays in removed cells).
"""

from __future__ import annotations

import functools
import os
import re
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import nbformat
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
import notebook_download  # noqa: E402  (the book's local Sphinx extension)
from test_chapters import is_notebook, toc_names  # noqa: E402

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# Another build can be tested with HLMTUTOR_SITE=/path/to/html (e.g. a --path-output build).
SITE = Path(os.environ.get("HLMTUTOR_SITE", ROOT / "_build" / "html")).resolve()
GUIDE_OUTPUT = ROOT / "tests" / "reference" / "guide-output.txt"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# sphinx-book-theme reads an empty localStorage on first load and says so; it is harmless.
BENIGN_CONSOLE_ERRORS = {"Got invalid theme mode: . Resetting to auto."}
# Pages the site has beyond the chapters.
EXTRA_PAGES = ["search.html", "genindex.html", "py-modindex.html"]
# A MyST role that was not parsed, as it would stand in a page's text.
RAW_ROLE = re.compile(
    r"\{(?:glue(?::\w*)?|term|doc|ref|numref|eq|cite(?::\w+)?|(?:py:)?(?:func|meth|class|attr|mod|data"
    r"|obj|exc))\}`"
)
# TeX that MathJax should have typeset (outside code blocks).
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\frac|\\begin\{|\\tau|\\sigma|\\gamma")
NULL_MODEL_PAGE = "book/06-null-model.html"
FULL_MODEL_PAGE = "book/07-full-model.html"


# --- the pages to visit ------------------------------------------------------------------------


def toc_pages() -> list[str]:
    """The HTML path of every page in ``_toc.yml``, the root page as ``index.html``."""
    return ["index.html", *(f"{name}.html" for name in toc_names())]


def is_notebook_page(html_page: str) -> bool:
    return is_notebook(ROOT / Path(html_page).with_suffix(".md"))


# --- R's key numbers ---------------------------------------------------------------------------


def _summary_blocks(text: str) -> list[str]:
    blocks = text.split("Linear mixed model fit by REML")[1:]
    assert len(blocks) == 2, f"{GUIDE_OUTPUT} should hold the null and full model summaries"
    return blocks


def _random_effects(block: str) -> dict[str, list[str]]:
    """Rows of the "Random effects" table, keyed "group term" (the Residual row as "Residual")."""
    table = block.split("Random effects:")[1].split("Number of obs")[0]
    rows, group = {}, ""
    for line in table.splitlines()[2:]:
        words = line.split()
        if not words:
            continue
        numbers = [w for w in words if re.fullmatch(r"-?[\d.]+", w)]
        names = words[: len(words) - len(numbers)]
        if names[0] == "Residual":
            group, key = "Residual", "Residual"
        else:
            group = names[0] if len(names) == 2 else group
            key = f"{group} {names[-1]}"
        rows[key] = numbers
    return rows


def _fixed_effects(block: str) -> dict[str, list[str]]:
    """Rows of the "Fixed effects" table: term -> [estimate, SE, df, t, p]."""
    table = block.split("Fixed effects:")[1].split("---")[0]
    rows = {}
    for line in table.splitlines()[2:]:
        words = line.split()
        if len(words) >= 6:
            rows[words[0]] = words[1:6]
    return rows


def key_numbers(block: str, random_rows: list[str]) -> dict[str, str]:
    """Label -> R's printed number for one model: REML criterion, variances, SDs, fixed effects."""
    numbers = {"REML criterion": re.search(r"REML criterion at convergence: (\S+)", block)[1]}
    random = _random_effects(block)
    for row in random_rows:
        variance, sd = random[row][:2]
        numbers[f"{row} variance"] = variance
        numbers[f"{row} SD"] = sd
    for term, values in _fixed_effects(block).items():
        for column, value in zip(["estimate", "SE", "df", "t", "p"], values, strict=True):
            numbers[f"{term} {column}"] = value
    return numbers


@functools.cache
def guide_key_numbers() -> dict[str, dict[str, str]]:
    """R's key numbers per chapter page, parsed from R's output (never typed here)."""
    null_block, full_block = _summary_blocks(GUIDE_OUTPUT.read_text())
    return {
        NULL_MODEL_PAGE: key_numbers(null_block, ["classroom_id (Intercept)", "Residual"]),
        # The random slope of `intervention` (constant within classrooms) is not identified: our
        # fit stops elsewhere on the ridge, so the page shows lme4's slope variance and SD from the
        # file R wrote (chapter 7 explains why they differ), beside ours.
        FULL_MODEL_PAGE: key_numbers(
            full_block,
            ["classroom_id (Intercept)", "classroom_id intervention", "Residual"],
        ),
    }


_NUMBER_ON_PAGE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.]?\d)")


def numbers_on_page(text: str) -> list[str]:
    """Every number printed on a page, as text (a Unicode minus read as "-")."""
    return _NUMBER_ON_PAGE.findall(text.replace("\u2212", "-"))


def is_shown(expected: str, page_text: str) -> bool:
    """R's printed number stands on the page digit for digit, as a whole number."""
    printed = numbers_on_page(page_text)
    if expected.startswith("<"):  # R's "<2e-16": the page says so, or prints a smaller p
        bound = Decimal(expected[1:])
        said = re.search(r"<\s*" + re.escape(expected[1:]), page_text) is not None
        return said or any("e" in n.lower() and 0 < Decimal(n) < bound for n in printed)
    return expected in printed


# --- wide content and build plumbing ----------------------------------------------------------

#: The window the wide-content check uses: a laptop's browser, the theme's sidebars shown.
WIDE_VIEWPORT = {"width": 1280, "height": 900}

# Every display equation and table in the page's main column, after opening every dropdown: a
# box that ends beyond the text column is cut off unless an element around it (or the box
# itself) scrolls sideways with a scroll bar; an element around it that hides overflow cuts it.
_WIDE_REPORT = r"""() => {
  document.querySelectorAll('main details').forEach(d => { d.open = true; });
  const main = document.querySelector('main');
  const column = (main.querySelector('article') || main).getBoundingClientRect();
  const scrolls = node => {
    const style = getComputedStyle(node);
    return ['auto', 'scroll'].includes(style.overflowX) && style.scrollbarWidth !== 'none';
  };
  const describe = node => {
    const label = node.tagName.toLowerCase() + (node.className && typeof node.className === 'string'
      ? '.' + node.className.trim().split(/\s+/).join('.') : '');
    return label + ': ' + (node.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 80);
  };
  const problems = [];
  let checked = 0;
  for (const node of main.querySelectorAll('mjx-container[display="true"], div.math, table')) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;  // not rendered (a folded cell)
    checked += 1;
    let scroller = scrolls(node) ? node : null;
    let clippedBy = null;
    for (let up = node.parentElement; !scroller && up && up !== main; up = up.parentElement) {
      if (scrolls(up)) { scroller = up; break; }
      const overflow = getComputedStyle(up).overflowX;
      if (['hidden', 'clip'].includes(overflow)
          && box.right > up.getBoundingClientRect().right + 1) { clippedBy = up; break; }
    }
    const outer = scroller ? scroller.getBoundingClientRect() : box;
    if (clippedBy) {
      problems.push('cut off by ' + describe(clippedBy).split(':')[0] + ': ' + describe(node));
    } else if (outer.right > column.right + 1 || outer.left < column.left - 1) {
      problems.push(`${Math.round(outer.right - column.right)} px beyond the column: ` + describe(node));
    }
  }
  return {checked, problems};
}"""

# The code of every code cell the page shows (folded cells included: a reader can unfold them).
_VISIBLE_CODE = """() => Array.from(document.querySelectorAll('main .cell_input pre, main div.cell pre'))
  .filter(pre => !pre.closest('.cell_output')).map(pre => pre.textContent)"""

_PLUMBING = re.compile(r"\bglue\(|\bmyst_nb\b")


def plumbing_in_code(blocks: list[str]) -> list[str]:
    """The lines of shown code that call ``glue`` or import ``myst_nb``."""
    return [
        line.strip() for block in blocks for line in block.splitlines() if _PLUMBING.search(line)
    ]


@pytest.mark.parametrize("page_path", toc_pages())
def test_wide_content_fits_or_scrolls(browser: Browser, base_url: str, page_path: str) -> None:
    """At 1,280 px no display equation or table is cut off: it fits the text column or scrolls
    inside it (book/_static/wide-content.css)."""
    browser.page.set_viewport_size(WIDE_VIEWPORT)
    browser.visit(base_url + page_path)
    browser.page.evaluate(_MATHJAX_DONE)
    report = browser.page.evaluate(_WIDE_REPORT)
    assert not report["problems"], f"{page_path}:\n  " + "\n  ".join(report["problems"])


@pytest.mark.parametrize("page_path", [p for p in toc_pages() if is_notebook_page(p)])
def test_no_build_plumbing_in_shown_code(browser: Browser, base_url: str, page_path: str) -> None:
    """No code cell the page shows calls ``glue`` or imports ``myst_nb``."""
    browser.visit(base_url + page_path)
    code = browser.page.evaluate(_VISIBLE_CODE)
    assert code, f"{page_path}: no code cells found (has the theme's markup changed?)"
    found = plumbing_in_code(code)
    assert not found, f"{page_path} shows build plumbing:\n  " + "\n  ".join(found)


# --- anchors in the built HTML -----------------------------------------------------------------


class _IdCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value or "")


@functools.cache
def ids_in(path: Path) -> frozenset[str]:
    collector = _IdCollector()
    collector.feed(path.read_text(errors="replace"))
    return frozenset(collector.ids)


def broken_internal_link(href: str, base_url: str) -> str | None:
    """Why an absolute ``href`` on the site does not resolve, or None if it does."""
    url, fragment = urldefrag(href)
    path = unquote(urlsplit(url).path).lstrip("/")
    target = SITE / path
    if target.is_dir() or path == "":
        target = target / "index.html"
    if not target.is_file():
        return f"{href}: no file {target.relative_to(SITE)}"
    if fragment and target.suffix == ".html" and unquote(fragment) not in ids_in(target):
        return f"{href}: no id {fragment!r} on {target.relative_to(SITE)}"
    return None


# --- serving the site and driving the browser --------------------------------------------------


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE} has no built site: run `make book` first (`make test` does)")

    class QuietHandler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(SITE), **kwargs)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep pytest's output for the failures

    server = ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@dataclass
class Browser:
    """One Chromium page reused for every test, with what it logged since the last visit."""

    page: object
    console_errors: list[str]
    outside_requests: list[str]

    def visit(self, url: str) -> None:
        self.console_errors.clear()
        self.outside_requests.clear()
        response = self.page.goto(url, wait_until="networkidle")
        assert response is not None and response.ok, (
            f"{url} answered {response and response.status}"
        )


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = chromium.new_page()
        state = Browser(page=page, console_errors=[], outside_requests=[])

        def block_outside_requests(route) -> None:
            if route.request.url.startswith(base_url):
                route.continue_()
            else:  # no network: what a reader offline gets
                state.outside_requests.append(route.request.url)
                route.abort()

        def note_console(message) -> None:
            if message.type == "error" and message.text not in BENIGN_CONSOLE_ERRORS:
                state.console_errors.append(f"console: {message.text} ({message.location})")

        page.route("**/*", block_outside_requests)
        page.on("console", note_console)
        page.on("pageerror", lambda error: state.console_errors.append(f"uncaught: {error}"))
        yield state
        chromium.close()


_PAGE_REPORT = """() => ({
  images: Array.from(document.images).map(img => ({
    src: img.currentSrc || img.src, loaded: img.complete && img.naturalWidth > 0,
    alt: (img.getAttribute('alt') || '').trim(),
    inContent: (img.currentSrc || img.src).includes('/_images/'),
    caption: (img.closest('figure')?.querySelector('figcaption')?.textContent || '').trim()})),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  formulas: document.querySelectorAll('main .math, main .amsmath').length,
  typeset: document.querySelectorAll('main mjx-container').length,
  stderr: Array.from(document.querySelectorAll('.output.stderr, div.stderr, .cell_output .stderr'))
    .map(node => node.textContent.trim().slice(0, 200)),
  text: (document.querySelector('main') || document.body).innerText,
  proseText: (() => {
    const root = document.querySelector('main') || document.body;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const parts = [];
    while (walker.nextNode()) {
      const parent = walker.currentNode.parentElement;
      if (!parent.closest('pre, code, script, style, textarea, mjx-container')) {
        parts.push(walker.currentNode.textContent);
      }
    }
    return parts.join(' ');
  })(),
})"""

# Resolves once MathJax has typeset the page (false on a page without MathJax).
_MATHJAX_DONE = """() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
  ? MathJax.startup.promise.then(() => true) : false"""


def text_problems(report: dict) -> list[str]:
    """Raw TeX, stderr output and raw MyST roles a reader would see on the page."""
    problems = []
    if report["formulas"] and not report["typeset"]:
        problems.append(f"{report['formulas']} formula(s) but MathJax typeset none")
    for match in RAW_TEX.finditer(report["proseText"]):
        context = report["proseText"][max(0, match.start() - 40) : match.end() + 40]
        problems.append(f"raw TeX in the text: {context!r}")
    for output in report["stderr"]:
        problems.append(f"stderr output on the page: {output!r}")
    for match in RAW_ROLE.finditer(report["text"]):
        context = report["text"][max(0, match.start() - 40) : match.end() + 40]
        problems.append(f"raw MyST role in the text: {context!r}")
    return problems


# myst-nb gives a plain output image its own file name as alt text, which describes nothing.
_FILE_NAME = re.compile(r"\.(png|jpe?g|svg|gif|webp)$", re.IGNORECASE)


def image_problems(image: dict) -> list[str]:
    """What is wrong with one image: not loaded, no alt text; a figure of the text (Sphinx puts
    those in ``_images/``, the theme's icons live in ``_static/``) also needs a caption."""
    problems = []
    name = image["src"].rsplit("/", 1)[-1]
    if not image["loaded"]:
        problems.append(f"image did not load: {name}")
    if not image["alt"] or (image["inContent"] and _FILE_NAME.search(image["alt"])):
        problems.append(f"image without alt text (CONTRIBUTING.md, Figures): {name}")
    if image["inContent"] and not image["caption"]:
        problems.append(f"figure without a caption (CONTRIBUTING.md, Figures): {name}")
    return problems


@pytest.mark.parametrize("page_path", toc_pages() + EXTRA_PAGES)
def test_page_loads_cleanly(browser: Browser, base_url: str, page_path: str) -> None:
    """No console errors, nothing loaded from outside the site, every image loaded and described
    (figures captioned), links resolve, math typeset, no stderr output, no raw MyST roles."""
    assert (SITE / page_path).is_file(), f"{page_path} was not built: run `make book`"
    browser.visit(base_url + page_path)
    browser.page.evaluate(_MATHJAX_DONE)
    report = browser.page.evaluate(_PAGE_REPORT)
    problems = list(browser.console_errors)
    problems.extend(f"loads from outside the site: {url}" for url in browser.outside_requests)
    problems.extend(text_problems(report))
    for image in report["images"]:
        problems.extend(image_problems(image))
    for href in report["links"]:
        if href.startswith(base_url):
            reason = broken_internal_link(href[len(base_url) :], base_url)
            if reason:
                problems.append(f"broken link {reason}")
    assert not problems, f"{page_path}:\n  " + "\n  ".join(dict.fromkeys(problems))


@pytest.mark.parametrize("page_path", [p for p in toc_pages() if is_notebook_page(p)])
def test_notebook_download(browser: Browser, base_url: str, page_path: str) -> None:
    """A notebook page's download menu offers a valid ``.ipynb`` of the page."""
    browser.visit(base_url + page_path)
    links = browser.page.eval_on_selector_all(
        "a[href$='.ipynb']", "links => links.map(a => a.href)"
    )
    wanted = f"_sources/{Path(page_path).with_suffix('.ipynb')}"
    assert base_url + wanted in links, f"{page_path}: no download link to {wanted}"
    colab = expected_colab_link(wanted)
    assert colab is None or colab in links, f"{page_path}: no Colab link to {colab}"
    notebook = nbformat.read(SITE / wanted, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    # The same code as the chapter's source (the student edition leaves the solutions out).
    source = ROOT / Path(page_path).with_suffix(".md")
    offered = _code_of(notebook)
    assert offered in (
        _code_of(notebook_download.source_to_notebook(source, hide_solutions=False)),
        _code_of(notebook_download.source_to_notebook(source, hide_solutions=True)),
    ), f"{wanted} does not hold the code of {source.relative_to(ROOT)}"


def expected_colab_link(notebook_path: str) -> str | None:
    """Where the Colab button should point: the built notebook on the published branch."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    colab = (config.get("launch_buttons") or {}).get("colab_url")
    branch = config["sphinx"]["config"].get("notebook_download_pages_branch", "gh-pages")
    if not colab or not branch:
        return None
    # The repository is set in pyproject.toml's [tool.hlmtutor] (book/_ext/publishing.py).
    repository = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hlmtutor"]
    owner_repo = urlsplit(repository["repository"]).path.strip("/")
    return f"{colab.rstrip('/')}/github/{owner_repo}/blob/{branch}/{notebook_path}"


def _code_of(notebook: nbformat.NotebookNode) -> list[str]:
    """The chapter's own code cells (not the setup cells the download adds; those depend on the
    build's configuration, and tests/test_downloads.py runs them)."""
    return [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code"
        and notebook_download.SETUP_TAG not in cell.metadata.get("tags", [])
    ]


def test_search_finds_icc(browser: Browser, base_url: str) -> None:
    browser.visit(base_url + "search.html?q=ICC")
    browser.page.wait_for_selector("#search-results ul.search li", timeout=15_000)
    results = browser.page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(a => a.href)"
    )
    assert any("glossary" in link for link in results), f"ICC search results: {results}"
    assert not browser.console_errors, browser.console_errors


@pytest.mark.parametrize("query", ["logistic", "binary", "glmer", "count"])
def test_search_finds_glmm_chapter(browser: Browser, base_url: str, query: str) -> None:
    """A reader searching for a word of the binary-and-count chapter finds it (issue 17)."""
    browser.visit(base_url + f"search.html?q={query}")
    browser.page.wait_for_selector("#search-results ul.search li", timeout=15_000)
    results = browser.page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(a => a.href)"
    )
    assert any("book/glmm" in link for link in results), f"{query!r} search results: {results}"
    assert not browser.console_errors, browser.console_errors


@pytest.mark.parametrize("page_path", [NULL_MODEL_PAGE, FULL_MODEL_PAGE])
def test_guide_numbers_are_shown(browser: Browser, base_url: str, page_path: str) -> None:
    """The chapter shows each of R's key numbers (to R's printed precision) in its visible text."""
    expected = guide_key_numbers()[page_path]
    browser.visit(base_url + page_path)
    text = browser.page.inner_text("main")
    missing = {label: r for label, r in expected.items() if not is_shown(r, text)}
    assert not missing, f"{page_path} does not show R's {missing}"


def test_reference_numbers_parse() -> None:
    """The parser reads R's output as printed (a guard for the test above, needing no browser)."""
    numbers = guide_key_numbers()
    null, full = numbers[NULL_MODEL_PAGE], numbers[FULL_MODEL_PAGE]
    assert len(null) == 1 + 2 * 2 + 5 and len(full) == 1 + 3 * 2 + 4 * 5
    text = GUIDE_OUTPUT.read_text()
    for value in [*null.values(), *full.values()]:
        assert value in text
    shown = "Estimate 52.4855 Std. Error 0.8735 p 3.36e-15 df 11.0000 \u22122.91013"
    assert is_shown(null["(Intercept) estimate"], shown)
    assert is_shown(null["(Intercept) p"], shown) and is_shown("-2.91013", shown)
    assert not is_shown(null["(Intercept) estimate"], "52.48551 52.486 52.485 152.4855")
    assert not is_shown("11.0000", "11.00001 11.0")
    assert is_shown("<2e-16", "Pr(>|t|) <2e-16") and is_shown("<2e-16", "p = 2.4e-34")
    assert not is_shown("<2e-16", "p = 0.0771")
    assert not is_shown(null["(Intercept) p"], "3.46e-15 3.36e-14")


def test_plumbing_check_sees_glue_and_myst_nb() -> None:
    """The shown-code check on made-up code (a guard needing no browser)."""
    code = ["from myst_nb import glue\nx = 1", 'glue("a", 1, display=False)', "y = my_glue + 1"]
    assert plumbing_in_code(code) == ["from myst_nb import glue", 'glue("a", 1, display=False)']
    assert plumbing_in_code(["fit = lmer(formula, data)"]) == []


def test_text_checks_see_what_a_reader_would() -> None:
    """The checks above, on made-up pages (a guard needing no browser)."""
    clean = {"formulas": 2, "typeset": 2, "stderr": [], "text": "x = 1", "proseText": "x = 1"}
    assert text_problems(clean) == []
    untypeset = {**clean, "typeset": 0, "proseText": r"so \(\tau_{00}\) and $$\frac{a}{b}$$"}
    assert len(text_problems(untypeset)) >= 3
    assert text_problems({**clean, "stderr": ["UserWarning: ..."]})
    for raw in ["{glue:text}`x:.2f`", "{term}`ICC`", "{func}`hlmtutor.lmer`", "{cite:p}`k`"]:
        assert text_problems({**clean, "text": f"The {raw} here"}), raw
    assert text_problems({**clean, "text": "a dict {glue} without a role"}) == []

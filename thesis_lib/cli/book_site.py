"""Building the book's static site and auditing what a reader gets.

:func:`build_site` stages ``book/`` with the executed chapters and runs Jupyter Book 1 (execution
off). MathJax is staged through ``html_extra_path``, not ``_static``: Jupyter Book adds every
``.js`` file under ``_static`` to every page, which would load each MathJax component at once.

:func:`audit_site` reads the built HTML without a browser: pages, images, the JavaScript each
page loads, and text that must never reach a reader (machine paths, internal labels).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from .book_chapters import BookPaths

#: Where MathJax is found inside the django-static-mathjax distribution.
_MATHJAX_PKG_DIR = ("static", "mathjax", "es5")
#: Staging folder copied verbatim into the site root (``html_extra_path`` in book/_config.yml).
EXTRA_DIR = "_extra"
#: Most JavaScript a page may load, in bytes.
MAX_JS_BYTES = 2_000_000
#: Text that must never appear in the site: development labels and machine-specific paths.
FORBIDDEN = {
    "internal design note": re.compile(r"DESIGN\.md"),
    "issue number": re.compile(r"\bissues? #?\d+\b", re.I),
    "seed label": re.compile(r"\bseeds? 0\d\d\b", re.I),
    "absolute machine path": re.compile(r"(?<![\w.])/(?:work|root|home|tmp)/[\w.-]"),
    "progress bar": re.compile(r"\d+%\|[█▏▎▍▌▋▊▉ #]*\|"),
    "python warning": re.compile(r"\b\w+Warning: "),
    "raw object repr": re.compile(r"&lt;[\w.]+ object at 0x[0-9a-f]+&gt;"),
}


def mathjax_dir() -> Path:
    """Folder of the MathJax 3 ``es5`` build shipped by django-static-mathjax."""
    import importlib.util
    spec = importlib.util.find_spec("mathjax")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        candidate = Path(root).joinpath(*_MATHJAX_PKG_DIR)
        if (candidate / "tex-chtml.js").exists():
            return candidate
    raise FileNotFoundError("MathJax files not found: the environment lacks django-static-mathjax; "
                            "re-create it with `make setup`")


def build_site(paths: BookPaths, log=print) -> Path:
    """Assemble book pages and executed chapters, build HTML with Jupyter Book 1.

    Returns the path of ``index.html``. The site loads nothing from the network:
    MathJax is copied into the site and ``mathjax_path`` points at it.
    """
    stage = paths.build_dir / "_site_src"
    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(paths.book, stage)
    for nb in sorted(paths.executed.glob("*.ipynb")):
        if not nb.name.endswith(".failed.ipynb"):
            shutil.copy2(nb, stage / nb.name)
    figures = paths.results_dir / "figures"
    if figures.is_dir():
        shutil.copytree(figures, stage / "figures", dirs_exist_ok=True)
    shutil.copytree(mathjax_dir(), stage / EXTRA_DIR / "_static" / "mathjax", dirs_exist_ok=True)

    jb_out = paths.build_dir / "_jupyter_book"
    # Jupyter Book 1 has no `python -m` entry point; call its click CLI through this interpreter.
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
           str(stage), "--path-output", str(jb_out), "--builder", "html"]
    log("[book] building the site with Jupyter Book")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"jupyter-book failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n"
                           f"{proc.stderr[-4000:]}")
    built = jb_out / "_build" / "html"
    tmp = paths.build_dir / ".html.partial"
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(built, tmp)
    if paths.html.exists():
        shutil.rmtree(paths.html)
    os.replace(tmp, paths.html)
    index = paths.html / "index.html"
    log(f"[book] site: {index}")
    return index


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.inline_js = 0
        self.images: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.scripts.append(attrs["src"])
            self._in_script = not attrs.get("src") and attrs.get("type") in (
                None, "text/javascript", "module")
        elif tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_js += len(data.encode())


def _local(page: Path, ref: str) -> Path | None:
    ref = ref.split("#", 1)[0].split("?", 1)[0]
    if not ref or "://" in ref or ref.startswith("data:"):
        return None
    return (page.parent / ref).resolve()


def audit_site(html_dir) -> dict:
    """What each page of a built site loads and shows, and any forbidden text.

    Returns ``{"pages": {name: {"js_bytes", "images", "missing"}}, "problems": [...]}``;
    ``js_bytes`` counts the scripts the page names (not those MathJax loads on demand)
    and inline scripts; ``missing`` lists local files a page refers to that do not exist.
    """
    html_dir = Path(html_dir)
    pages, problems = {}, []
    for page in sorted(html_dir.glob("*.html")):
        if page.name in ("search.html", "genindex.html"):
            continue
        text = page.read_text(errors="replace")
        parser = _PageParser()
        parser.feed(text)
        js, missing = parser.inline_js, []
        for src in parser.scripts:
            path = _local(page, src)
            if path is None:
                problems.append(f"{page.name}: remote script {src}")
            elif path.exists():
                js += path.stat().st_size
            else:
                missing.append(src)
        for src in parser.images:
            path = _local(page, src)
            if path is not None and not path.exists():
                missing.append(src)
        pages[page.name] = {"js_bytes": js, "images": len(parser.images), "missing": missing}
        if js > MAX_JS_BYTES:
            problems.append(f"{page.name}: {js / 1e6:.2f} MB of JavaScript (limit "
                            f"{MAX_JS_BYTES / 1e6:.0f} MB)")
        problems += [f"{page.name}: missing file {m}" for m in missing]
        visible = re.sub(r"<script.*?</script>|<style.*?</style>", "", text, flags=re.S)
        for what, pattern in FORBIDDEN.items():
            for match in pattern.finditer(visible):
                problems.append(f"{page.name}: {what}: {match.group(0)!r}")
    return {"pages": pages, "problems": problems}


def _image_payloads(ipynb: Path) -> set[bytes]:
    nb = json.loads(ipynb.read_text())
    found = set()
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get("image/png")
            if data:
                found.add(base64.b64decode("".join(data) if isinstance(data, list) else data))
    return found


def figures_displayed(results_dir, executed_dir, html_dir=None) -> list[str]:
    """Problems with figures: each PNG a chapter lists in its results must be shown.

    A chapter's ``values["figures"]`` maps names to the PNG files it saved; each file's exact
    bytes must be an image output of the executed notebook and, when ``html_dir`` is given,
    the target of an ``<img>`` on the chapter's page. Returns one line per problem.
    """
    problems = []
    for result in sorted(Path(results_dir).glob("*.json")):
        figures = json.loads(result.read_text()).get("values", {}).get("figures") or {}
        if not isinstance(figures, dict) or not figures:
            continue
        chapter = result.stem
        ipynb = Path(executed_dir) / f"{chapter}.ipynb"
        shown = _image_payloads(ipynb) if ipynb.exists() else set()
        page_images: set[bytes] = set()
        page = Path(html_dir) / f"{chapter}.html" if html_dir else None
        if page is not None and page.exists():
            parser = _PageParser()
            parser.feed(page.read_text())
            for src in parser.images:
                path = _local(page, src)
                if path is not None and path.exists():
                    page_images.add(path.read_bytes())
        for name, png in figures.items():
            data = Path(results_dir) / "figures" / Path(str(png)).name
            if not data.exists():
                problems.append(f"{chapter}: figure {name} ({data.name}) was not saved")
                continue
            blob = data.read_bytes()
            if blob not in shown:
                problems.append(f"{chapter}: figure {name} ({data.name}) is not displayed in "
                                "the executed notebook")
            if page is not None and blob not in page_images:
                problems.append(f"{chapter}: figure {name} ({data.name}) is not an <img> of "
                                f"{page.name}")
    return problems

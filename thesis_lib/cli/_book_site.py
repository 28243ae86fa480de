"""Building the book's static site and auditing what a reader gets.

:func:`build_site` stages ``book/`` with the executed chapters and runs Jupyter Book 1 (execution
off). MathJax is staged through ``html_extra_path``, not ``_static``: Jupyter Book adds every
``.js`` file under ``_static`` to every page, which would load each MathJax component at once.
The theme's Font Awesome script (1.5 MB, every icon of the font, drawn by JavaScript) is
replaced by a style sheet holding only the icons the pages use (:func:`subset_icons`), which
keeps a page with maths under 2 MB of JavaScript. The live-code (Thebe) scripts are removed:
the book disables live code, Thebe would fetch its library from a CDN, and its inline setup is
emitted twice on some pages, a script error in every browser (:func:`drop_thebe`).

:func:`audit_site` reads the built HTML without a browser: pages, images, the JavaScript each
page loads, and text that must never reach a reader (machine paths, internal labels).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from ._book_chapters import BookPaths

#: Where MathJax is found inside the django-static-mathjax distribution.
_MATHJAX_PKG_DIR = ("static", "mathjax", "es5")
#: Staging folder copied verbatim into the site root (``html_extra_path`` in book/_config.yml).
EXTRA_DIR = "_extra"
#: Most JavaScript a page may load, in bytes.
MAX_JS_BYTES = 2_000_000
#: Text that must never appear in the site: development labels and machine-specific paths.
FORBIDDEN = {
    "internal design note": re.compile(r"DESIGN\.md"),
    "issue number": re.compile(r"\bissues? #?\d+\b", re.IGNORECASE),
    "seed label": re.compile(r"\bseeds? 0\d\d\b", re.IGNORECASE),
    "absolute machine path": re.compile(r"(?<![\w.])/(?:work|root|home|tmp)/[\w.-]"),
    "progress bar": re.compile(r"\d+%\|[█▏▎▍▌▋▊▉ #]*\|"),
    "python warning": re.compile(r"\b\w+Warning: "),
    "raw object repr": re.compile(r"&lt;[\w.]+ object at 0x[0-9a-f]+&gt;"),
}


def mathjax_dir() -> Path:
    """Folder of the MathJax 3 ``es5`` build shipped by django-static-mathjax."""
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
        # neither inspection copies of failed chapters nor the hidden temporaries of running ones
        if not nb.name.endswith(".failed.ipynb") and not nb.name.startswith("."):
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
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"jupyter-book failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n"
                           f"{proc.stderr[-4000:]}")
    built = jb_out / "_build" / "html"
    subset_icons(built)
    drop_thebe(built)
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


_FA_SCRIPT = re.compile(r'<script[^>]*src="(?P<src>[^"]*_static/scripts/fontawesome\.js[^"]*)"'
                        r'[^>]*>\s*</script>')
_FA_ICON_USE = re.compile(r'class="[^"]*\b(?:fa-solid|fa-regular|fa-brands|fas|far|fab)\b[^"]*"')
#: Font Awesome styles and the two class names (current and legacy) that select each.
_FA_STYLES = {"solid": ("fa-solid", "fas"), "regular": ("fa-regular", "far"),
              "brands": ("fa-brands", "fab")}
_FA_NOT_ICONS = {"solid", "regular", "brands", "lg", "xl", "sm", "xs", "fw", "2x", "spin"}


def _icon_paths(js: str, style: str, names) -> dict:
    """SVG ``(width, height, path)`` of each icon ``name`` of one Font Awesome style."""
    ends = {m.group(1): m.start() for m in re.finditer(r'\(\s*"fa-(\w+)"\s*,\s*\w+\s*\)', js)}
    if style not in ends:
        return {}
    start = max([e for e in ends.values() if e < ends[style]], default=0)
    segment = js[start:ends[style]]
    found = {}
    for name in names:
        m = re.search(r'(?:"' + re.escape(name) + r'"|(?<![\w-])' + re.escape(name) + r')'
                      r':\[(\d+),(\d+),\[[^\]]*\],"[^"]*","((?:[^"\\]|\\.)*)"', segment)
        if m:
            found[name] = (int(m.group(1)), int(m.group(2)), m.group(3))
    return found


def subset_icons(html_dir) -> int:
    """Replace the Font Awesome script of every page by a CSS subset of the icons used.

    Each icon becomes an SVG mask painted in the text colour. Returns the number of icons
    written; does nothing when the theme did not ship the script.
    """
    html_dir = Path(html_dir)
    script = html_dir / "_static" / "scripts" / "fontawesome.js"
    pages = sorted(html_dir.rglob("*.html"))
    if not script.exists():
        return 0
    wanted: dict[str, set] = {s: set() for s in _FA_STYLES}
    for page in pages:
        for use in _FA_ICON_USE.finditer(page.read_text(errors="replace")):
            classes = use.group(0)[7:-1].split()
            style = next((s for s, cs in _FA_STYLES.items() if set(cs) & set(classes)), "solid")
            wanted[style] |= {c[3:] for c in classes if c.startswith("fa-")} - _FA_NOT_ICONS
    js = script.read_text(errors="replace")
    every = ", ".join(f".{c}" for cs in _FA_STYLES.values() for c in cs)
    rules = [every + " { display: inline-block; width: 1.1em; height: 1em; "
             "vertical-align: -0.125em; }",
             ".fa-lg { font-size: 1.25em; }"]
    count = 0
    for style, names in wanted.items():
        for name, (w, h, path) in sorted(_icon_paths(js, style, names).items()):
            svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}">'
                   f'<path d="{path}"/></svg>')
            url = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
            selector = ", ".join(f".{c}.fa-{name}" for c in _FA_STYLES[style])
            rules.append(f'{selector} {{ background-color: currentColor; '
                         f'-webkit-mask: url("{url}") center / contain no-repeat; '
                         f'mask: url("{url}") center / contain no-repeat; }}')
            count += 1
    (html_dir / "_static" / "icons-subset.css").write_text("\n".join(rules) + "\n")
    for page in pages:
        text = page.read_text(errors="replace")
        match = _FA_SCRIPT.search(text)
        if not match:
            continue
        css = match.group("src").split("scripts/fontawesome.js")[0] + "icons-subset.css"
        page.write_text(text[:match.start()] + f'<link rel="stylesheet" href="{css}" />'
                        + text[match.end():])
    return count


_THEBE = re.compile(r'<script>\s*const THEBE_JS_URL.*?</script>\s*'
                    r'|<script[^>]*src="[^"]*sphinx-thebe\.js[^"]*"[^>]*>\s*</script>\s*'
                    r'|<script type="text/x-thebe-config">.*?</script>\s*', re.DOTALL)


def drop_thebe(html_dir) -> int:
    """Remove the Thebe (live code) scripts from every page; returns the pages changed."""
    changed = 0
    for page in sorted(Path(html_dir).rglob("*.html")):
        text = page.read_text(errors="replace")
        new = _THEBE.sub("", text)
        if new != text:
            page.write_text(new)
            changed += 1
    return changed


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
        visible = re.sub(r"<script.*?</script>|<style.*?</style>", "", text, flags=re.DOTALL)
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

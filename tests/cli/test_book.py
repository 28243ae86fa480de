"""The book pipeline end to end: jupytext → papermill → Jupyter Book 1 → pages in Chromium."""

import json
import shutil
import textwrap

import pytest

from tests.browser import RecordingProxy, inspect_pages, render, script_bytes
from thesis_lib.cli._book_chapters import chapter_dependencies, kernel_environment
from thesis_lib.cli.book import (
    BookPaths,
    ChapterFailed,
    audit_site,
    chapter_order,
    execute_chapter,
    figures_displayed,
    run_book,
)

FRONT = textwrap.dedent("""\
    ---
    jupytext:
      text_representation: {extension: .md, format_name: myst, format_version: 0.13}
    kernelspec: {display_name: Python 3, language: python, name: python3}
    ---

    """)
PARAMETERS = textwrap.dedent("""\
    ```{code-cell} ipython3
    :tags: [parameters]
    profile = "quick"
    data_dir = "build/data"
    results_dir = "build/results"
    seed = 0
    ```

    """)
CHAPTER = FRONT + textwrap.dedent("""\
    # Planted chapter title

    Math renders locally: $e^{i\\\\pi} + 1 = 0$, as in {cite:t}`terna2026`.

    """) + PARAMETERS + textwrap.dedent("""\
    ```{code-cell} ipython3
    import numpy as np
    from thesis_lib import metrics
    from thesis_lib.provenance import RunRecord, write_results
    x = np.random.default_rng(seed).standard_normal(8192)
    value = metrics.lsd(x, 10 * x)
    print(f"LSD={value:.3f}")
    ```

    ```{code-cell} ipython3
    ---
    mystnb:
      figure:
        caption: Planted caption of a planted figure.
        name: fig-planted
    ---
    import matplotlib.pyplot as plt
    from thesis_lib.provenance import show_figure
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(x[:100])
    planted = show_figure(fig, results_dir, "planted")
    ```

    ```{code-cell} ipython3
    path = write_results("mini", {"lsd": value, "profile": profile, "seed": seed,
                                  "figures": {"planted": planted}},
                         results_dir, RunRecord(parameters={"profile": profile}))
    ```
    """)
SECOND = FRONT + "# Second chapter\n\n" + PARAMETERS + textwrap.dedent("""\
    ```{code-cell} ipython3
    import matplotlib
    print("backend:", matplotlib.get_backend())
    ```
    """)


@pytest.fixture
def mini_repo(tmp_path, repo_root):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "mini.md").write_text(CHAPTER)
    (tmp_path / "notebooks" / "second.md").write_text(SECOND)
    book = tmp_path / "book"
    book.mkdir()
    for name in ("_config.yml", "references.bib", "bibliography.md"):
        shutil.copy(repo_root / "book" / name, book / name)
    shutil.copytree(repo_root / "book" / "_static", book / "_static")
    (book / "intro.md").write_text("# Mini book\n\nFront page.\n")
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n"
        "  - caption: A\n    chapters:\n      - file: mini\n      - file: bibliography\n"
        "  - caption: B\n    chapters:\n      - file: second\n")
    return BookPaths.default(repo=tmp_path)


def test_toc_order_and_unlisted_notebooks(mini_repo):
    assert [p.stem for p in chapter_order(mini_repo)] == ["mini", "second"]
    (mini_repo.notebooks / "orphan.md").write_text(CHAPTER)
    with pytest.raises(ValueError, match="orphan.*_toc.yml"):
        chapter_order(mini_repo)


def test_dependencies_follow_parts_front_matter_and_report_last(mini_repo):
    toc = mini_repo.book / "_toc.yml"
    toc.write_text(toc.read_text() + "      - file: third\n      - file: reproduction_report\n")
    (mini_repo.notebooks / "third.md").write_text(CHAPTER.replace(
        "kernelspec:", "thesis: {after: [mini]}\nkernelspec:"))
    (mini_repo.notebooks / "reproduction_report.md").write_text(SECOND)
    chapters = chapter_order(mini_repo)
    assert [c.stem for c in chapters] == ["mini", "second", "third", "reproduction_report"]
    deps = chapter_dependencies(mini_repo, chapters)
    # `after` replaces the part's order: third waits for mini only, not for second
    assert deps == {"mini": set(), "second": set(), "third": {"mini"},
                    "reproduction_report": {"mini", "second", "third"}}
    (mini_repo.notebooks / "third.md").write_text(CHAPTER)
    assert chapter_dependencies(mini_repo, chapters)["third"] == {"second"}
    (mini_repo.notebooks / "third.md").write_text(CHAPTER.replace(
        "kernelspec:", "thesis: {after: [nowhere]}\nkernelspec:"))
    with pytest.raises(ValueError, match="third.md.*nowhere"):
        chapter_dependencies(mini_repo, chapter_order(mini_repo))


def test_kernel_environment_shows_figures_and_hides_progress_bars(mini_repo):
    env = kernel_environment(mini_repo, {"MPLBACKEND": "Agg", "PYTHONPATH": "/elsewhere"})
    assert "MPLBACKEND" not in env  # the kernel falls back to the inline backend
    assert env["TQDM_DISABLE"] == "1"
    assert env["PYTHONWARNINGS"] == "ignore:IProgress not found"
    assert env["PYTHONPATH"].split(":")[0] == str(mini_repo.repo)
    assert env["PYTHONPATH"].split(":")[-1] == "/elsewhere"


def test_audit_finds_forbidden_text_and_heavy_pages(tmp_path):
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "big.js").write_bytes(b"x" * 2_100_000)
    (tmp_path / "clean.html").write_text("<html><body><p>Terna (2026)</p></body></html>")
    (tmp_path / "leaky.html").write_text(
        '<html><head><script src="_static/big.js"></script></head><body>'
        # the forbidden words are assembled so that this file itself does not contain them
        f"<p>see {'DESIGN'}.md and {'issue'} 12; data in /work/main/build; {'seed'} 001</p>"
        "<pre>UserWarning: planted\n 40%|####      | 4/10</pre><img src='gone.png'></body></html>")
    audit = audit_site(tmp_path)
    assert audit["pages"]["clean.html"] == {"js_bytes": 0, "images": 0, "missing": []}
    text = "\n".join(audit["problems"])
    for what in ("internal design note", "issue number", "absolute machine path", "seed label",
                 "python warning", "progress bar", "2.10 MB of JavaScript",
                 "missing file gone.png"):
        assert what in text
    assert not any(p.startswith("clean.html") for p in audit["problems"])


@pytest.mark.slow
def test_browser_inspection_reports_errors_and_broken_images(tmp_path):
    # The site checks below are only meaningful if a broken page would be caught.
    page = tmp_path / "bad.html"
    page.write_text('<html><head><script>console.error("planted error")</script></head>'
                    '<body><img src="nope.png"></body></html>')
    report = inspect_pages([page.as_uri()], tmp_path / "profile")[page.as_uri()]
    assert any("planted error" in e for e in report["errors"])
    assert any("nope.png" in e for e in report["errors"])
    assert [i["width"] for i in report["images"]] == [0]


@pytest.mark.slow
@pytest.mark.integration
def test_chapter_executes_with_parameters_and_resumes(mini_repo, capfd):
    logs = []
    out = execute_chapter(mini_repo.notebooks / "mini.md", mini_repo, seed=5, log=logs.append)
    # the kernel's sockets are CurveZMQ-encrypted (the pinned pyzmq wheels carry libsodium),
    # so the kernel has nothing to warn about on its stderr
    assert "without encryption" not in capfd.readouterr().err
    result = json.loads((mini_repo.results_dir / "mini.json").read_text())
    assert result["values"]["lsd"] == pytest.approx(20.0, abs=1e-9)
    assert result["values"]["seed"] == 5  # the papermill parameter reached the kernel
    assert result["values"]["figures"] == {"planted": "figures/planted.png"}
    assert "LSD=20.000" in out.read_text()
    assert figures_displayed(mini_repo.results_dir, mini_repo.executed) == []
    execute_chapter(mini_repo.notebooks / "mini.md", mini_repo, seed=5, log=logs.append)
    assert logs[-1].endswith("up to date, skipped")
    execute_chapter(mini_repo.notebooks / "mini.md", mini_repo, seed=6, log=logs.append)
    assert logs[-1].startswith("[book] mini: done")


@pytest.mark.slow
@pytest.mark.integration
def test_failing_chapter_names_chapter_and_cell(mini_repo):
    broken = CHAPTER.replace("print(f\"LSD={value:.3f}\")", "raise RuntimeError('planted failure')")
    (mini_repo.notebooks / "mini.md").write_text(broken)
    expected = r"chapter `mini`.*cell 3 .*starting `import numpy as np`.*planted failure"
    with pytest.raises(ChapterFailed, match=expected):
        execute_chapter(mini_repo.notebooks / "mini.md", mini_repo, log=lambda m: None)
    assert (mini_repo.executed / "mini.failed.ipynb").exists()
    assert not (mini_repo.executed / "mini.ipynb").exists()


@pytest.mark.slow
@pytest.mark.integration
def test_book_renders_clean_offline_in_chromium(mini_repo, tmp_path):
    index = run_book(paths=mini_repo, workers=2, log=lambda m: None)  # audits, raises if unclean
    assert index.exists()
    executed = (mini_repo.executed / "second.ipynb").read_text()
    assert "backend: module://matplotlib_inline.backend_inline" in executed
    # The saved PNG is the displayed image, in the notebook and on the page.
    assert figures_displayed(mini_repo.results_dir, mini_repo.executed, mini_repo.html) == []
    pages = sorted(p for p in mini_repo.html.glob("*.html")
                   if p.name not in ("search.html", "genindex.html"))
    assert {p.name for p in pages} >= {"intro.html", "mini.html", "second.html",
                                       "bibliography.html"}
    report = inspect_pages([p.as_uri() for p in pages], tmp_path / "profile")
    for page in pages:
        r = report[page.as_uri()]
        assert r["errors"] == [], page.name
        assert r["requests"] == [], page.name
        assert all(i["complete"] and i["width"] > 0 for i in r["images"]), page.name
        assert r["math"] == r["math_typeset"], page.name
        assert script_bytes(r) <= 2_000_000, page.name
        assert sum("tex-chtml" in s for s in r["scripts"]) <= 1, page.name
    mini = report[(mini_repo.html / "mini.html").as_uri()]
    assert mini["mjx"] >= 1 and len(mini["images"]) >= 1
    page = (mini_repo.html / "mini.html").read_text()
    assert "Planted caption of a planted figure." in page
    assert "Terna" in page and "2026" in page  # author-year citation
    assert "Recovering audio heritage" in (mini_repo.html / "bibliography.html").read_text()
    assert "hide-input" in page or "toggle" in page  # code folded behind a toggle
    with RecordingProxy() as proxy:
        dom = render((mini_repo.html / "mini.html").as_uri(), tmp_path / "shot.png", proxy)
    assert "Planted chapter title" in dom and "LSD=20.000" in dom
    assert proxy.page_requests == []


@pytest.mark.slow
def test_proxy_sees_a_remote_request(tmp_path):
    # The offline check above is only meaningful if a remote load would be caught.
    page = tmp_path / "remote.html"
    page.write_text('<html><head><script src="https://cdn.example.invalid/x.js"></script>'
                    '</head><body>remote</body></html>')
    with RecordingProxy() as proxy:
        render(page.as_uri(), tmp_path / "shot.png", proxy)
    assert any("cdn.example.invalid" in r for r in proxy.page_requests)

"""The book pipeline end to end: jupytext → papermill → Jupyter Book 1 → a page in Chromium."""

import json
import shutil
import struct
import textwrap

import pytest

from tests.browser import RecordingProxy, render
from thesis_lib.cli.book import BookPaths, ChapterFailed, chapter_order, execute_chapter, run_book

CHAPTER = textwrap.dedent("""\
    ---
    jupytext:
      text_representation: {extension: .md, format_name: myst, format_version: 0.13}
    kernelspec: {display_name: Python 3, language: python, name: python3}
    ---

    # Planted chapter title

    Math renders locally: $e^{i\\\\pi} + 1 = 0$.

    ```{code-cell} ipython3
    :tags: [parameters]
    profile = "quick"
    data_dir = "build/data"
    results_dir = "build/results"
    seed = 0
    ```

    ```{code-cell} ipython3
    import numpy as np
    from thesis_lib import metrics
    from thesis_lib.provenance import RunRecord, write_results
    x = np.random.default_rng(seed).standard_normal(8192)
    value = metrics.lsd(x, 10 * x)
    write_results("mini", {"lsd": value, "profile": profile, "seed": seed}, results_dir,
                  RunRecord(parameters={"profile": profile}))
    print(f"LSD={value:.3f}")
    ```
    """)


@pytest.fixture
def mini_repo(tmp_path, repo_root):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "mini.md").write_text(CHAPTER)
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(repo_root / "book" / "_config.yml", book / "_config.yml")
    shutil.copy(repo_root / "book" / "references.bib", book / "references.bib")
    (book / "intro.md").write_text("# Mini book\n\nFront page.\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: mini\n")
    return BookPaths.default(repo=tmp_path)


def test_toc_order_and_unlisted_notebooks(mini_repo):
    assert [p.stem for p in chapter_order(mini_repo)] == ["mini"]
    (mini_repo.notebooks / "orphan.md").write_text(CHAPTER)
    with pytest.raises(ValueError, match="orphan.*_toc.yml"):
        chapter_order(mini_repo)


@pytest.mark.slow
@pytest.mark.integration
def test_chapter_executes_with_parameters_and_resumes(mini_repo):
    logs = []
    out = execute_chapter(mini_repo.notebooks / "mini.md", mini_repo, seed=5, log=logs.append)
    result = json.loads((mini_repo.results_dir / "mini.json").read_text())
    assert result["values"]["lsd"] == pytest.approx(20.0)
    assert result["values"]["seed"] == 5  # the papermill parameter reached the kernel
    assert len(result["provenance"]["git_commit"]) in (40, 7) or result["provenance"]["git_commit"] == "unknown"
    assert "LSD=20.000" in out.read_text()
    execute_chapter(mini_repo.notebooks / "mini.md", mini_repo, seed=5, log=logs.append)
    assert logs[-1].endswith("up to date, skipped")
    execute_chapter(mini_repo.notebooks / "mini.md", mini_repo, seed=6, log=logs.append)
    assert logs[-1].startswith("[book] mini: done")


@pytest.mark.slow
@pytest.mark.integration
def test_failing_chapter_names_chapter_and_cell(mini_repo):
    broken = CHAPTER.replace("print(f\"LSD={value:.3f}\")", "raise RuntimeError('planted failure')")
    (mini_repo.notebooks / "mini.md").write_text(broken)
    with pytest.raises(ChapterFailed, match=r"chapter `mini`.*cell 3 .*starting `import numpy as np`.*planted failure"):
        execute_chapter(mini_repo.notebooks / "mini.md", mini_repo, log=lambda m: None)
    assert (mini_repo.executed / "mini.failed.ipynb").exists()
    assert not (mini_repo.executed / "mini.ipynb").exists()


@pytest.mark.slow
@pytest.mark.integration
def test_one_page_book_renders_offline_in_chromium(mini_repo, tmp_path):
    index = run_book(paths=mini_repo, log=lambda m: None)
    page = mini_repo.html / "mini.html"
    assert index.exists() and page.exists()
    with RecordingProxy() as proxy:
        dom = render(page.as_uri(), tmp_path / "shot.png", proxy)
    assert "Planted chapter title" in dom
    assert "LSD=20.000" in dom
    assert "mjx-container" in dom  # MathJax (served from _static) typeset the formula
    assert proxy.page_requests == []
    png = (tmp_path / "shot.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 900)


@pytest.mark.slow
def test_proxy_sees_a_remote_request(tmp_path):
    # The offline check above is only meaningful if a remote load would be caught.
    page = tmp_path / "remote.html"
    page.write_text('<html><head><script src="https://cdn.example.invalid/x.js"></script>'
                    '</head><body>remote</body></html>')
    with RecordingProxy() as proxy:
        render(page.as_uri(), tmp_path / "shot.png", proxy)
    assert any("cdn.example.invalid" in r for r in proxy.page_requests)

"""``thesis book``: execute every chapter with papermill, then build and audit the static site.

Flow::

    notebooks/<name>.md --jupytext--> ipynb --papermill (-p profile ...)--> build/executed/
    build/executed/*.ipynb + book/ --jupyter-book 1 (execution off)--> build/html

Chapter execution (order, two workers, the input-digest cache) lives in
:mod:`thesis_lib.cli._book_chapters`; the site build and its audit in
:mod:`thesis_lib.cli._book_site`. A failing chapter stops the build naming the chapter and
the cell; its partial notebook is kept as ``<name>.failed.ipynb`` for inspection.
"""

from __future__ import annotations

import sys
import time

from ._book_chapters import (
    PROFILES,
    REPORT_CHAPTER,
    BookPaths,
    ChapterFailed,
    chapter_order,
    execute_chapter,
    execute_chapters,
    input_digest,
    toc_files,
    toc_parts,
)
from ._book_site import audit_site, build_site, figures_displayed, mathjax_dir

__all__ = [
    "PROFILES",
    "REPORT_CHAPTER",
    "BookPaths",
    "ChapterFailed",
    "audit_site",
    "build_site",
    "chapter_order",
    "execute_chapter",
    "execute_chapters",
    "figures_displayed",
    "input_digest",
    "mathjax_dir",
    "run_book",
    "toc_files",
    "toc_parts",
]


class SiteProblems(RuntimeError):
    """The built site shows something a reader must not see (listed in the message)."""


def run_book(profile="quick", seed=0, only=None, force=False, skip_site=False,
             paths: BookPaths | None = None, workers: int = 2, log=print):
    """Execute the chapters (all, or ``only``), build the site and audit it.

    Returns the path of ``index.html`` (``None`` with ``skip_site``). Raises
    :class:`SiteProblems` when the audit finds forbidden text, missing files, pages over the
    JavaScript budget or figures that are saved but not shown.
    """
    paths = paths or BookPaths.default()
    t0 = time.perf_counter()
    execute_chapters(chapter_order(paths, only), paths, workers=workers, log=log,
                     profile=profile, seed=seed, force=force)
    log(f"[book] chapters ready in {time.perf_counter() - t0:.0f} s")
    if skip_site:
        return None
    index = build_site(paths, log=log)
    audit = audit_site(paths.html)
    problems = audit["problems"] + figures_displayed(paths.results_dir, paths.executed,
                                                     paths.html)
    pages = audit["pages"]
    log(f"[book] {len(pages)} pages, {sum(p['images'] for p in pages.values())} images, "
        f"at most {max((p['js_bytes'] for p in pages.values()), default=0) / 1e6:.2f} MB of "
        f"JavaScript per page; total {time.perf_counter() - t0:.0f} s")
    if problems:
        raise SiteProblems(f"{len(problems)} problem(s) in {paths.html}:\n  "
                           + "\n  ".join(problems[:40]))
    return index


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "book", help="execute every chapter (papermill) and build the static site",
        description="Execute the chapters in notebooks/ with papermill (chapters of one part "
                    "in order, parts side by side, skipping those whose inputs did not "
                    "change), then build build/html with Jupyter Book 1 and audit it.")
    p.add_argument("--profile", choices=PROFILES, default="quick",
                   help="quick: embedded data, small sizes, minutes on a laptop (default); "
                        "full: the thesis-scale settings, for a cluster or GPU")
    p.add_argument("--seed", type=int, default=0, help="global seed passed to every chapter")
    p.add_argument("--chapter", action="append", dest="only", metavar="NAME",
                   help="execute only this chapter (repeatable); the site is still built")
    p.add_argument("--force", action="store_true", help="re-execute chapters even if up to date")
    p.add_argument("--workers", type=int, default=2,
                   help="chapters executed at the same time (default 2; 1 runs them in order)")
    p.add_argument("--no-site", action="store_true", help="execute chapters only")
    p.add_argument("--build-dir", default=None, help="output folder (default: build/)")
    p.add_argument("--data-dir", default=None, help="data folder (default: BUILD_DIR/data)")
    p.add_argument("--results-dir", default=None,
                   help="results folder (default: BUILD_DIR/results)")
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    paths = BookPaths.default(build_dir=args.build_dir, data_dir=args.data_dir,
                              results_dir=args.results_dir)
    try:
        index = run_book(profile=args.profile, seed=args.seed, only=args.only, force=args.force,
                         skip_site=args.no_site, paths=paths, workers=args.workers)
    except (ChapterFailed, SiteProblems) as exc:
        print(f"thesis book: {exc}", file=sys.stderr)
        return 1
    if index is not None:
        print(index)
    return 0

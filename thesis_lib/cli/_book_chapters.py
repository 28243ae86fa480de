"""Executing the book's chapters: order, input digests, papermill, and a two-worker schedule.

Each chapter ``notebooks/<name>.md`` is converted by jupytext and executed by papermill into
``build/executed/<name>.ipynb``. A chapter is skipped when its executed notebook records the
same *input digest* (chapter source, parameters, library, manifests and, for the reproduction
report, the other chapters' results), so an interrupted build resumes where it stopped.

Chapters of one part of the table of contents run one after another, in reading order, because
they share data caches (the synthetic beamline, the paired corpus); different parts run side by
side. A chapter that knows which chapters it needs names them in its front matter, and then
waits for those instead of the chapter before it (an empty list: for none)::

    thesis:
      after: [xmcd_data]

The reproduction report runs last because it reads every other chapter's results.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import itertools
import multiprocessing
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from thesis_lib.provenance import atomic_path, profile_names

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORT_CHAPTER = "reproduction_report"
#: The profiles of data_manifests/profiles.yml (each names every size the chapters use).
PROFILES = profile_names()
#: Tags that already decide how a code cell's input is shown; others get ``hide-input``.
_INPUT_TAGS = {"hide-input", "remove-input", "hide-cell", "remove-cell", "show-input"}


class ChapterFailed(RuntimeError):
    """A chapter raised while executing; the message names the chapter and cell."""


@dataclass(frozen=True)
class BookPaths:
    """Folders of one book build, all under ``build_dir`` unless given."""

    repo: Path
    build_dir: Path
    data_dir: Path
    results_dir: Path

    @classmethod
    def default(cls, repo=REPO_ROOT, build_dir=None, data_dir=None, results_dir=None):
        repo = Path(repo).resolve()
        build = Path(build_dir).resolve() if build_dir else repo / "build"
        return cls(repo=repo, build_dir=build,
                   data_dir=Path(data_dir).resolve() if data_dir else build / "data",
                   results_dir=Path(results_dir).resolve() if results_dir else build / "results")

    @property
    def notebooks(self) -> Path:
        return self.repo / "notebooks"

    @property
    def book(self) -> Path:
        return self.repo / "book"

    @property
    def executed(self) -> Path:
        return self.build_dir / "executed"

    @property
    def html(self) -> Path:
        return self.build_dir / "html"


def _entry_name(entry) -> str | None:
    if isinstance(entry, dict) and "file" in entry:
        return re.sub(r"\.(md|ipynb)$", "", str(entry["file"]))
    return None


def toc_parts(toc_path) -> list[list[str]]:
    """The ``file:`` entries of a Jupyter Book table of contents, grouped by part.

    The root page forms a part of its own; a table without parts is one part.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "_toc.yml"
    >>> _ = p.write_text("root: intro\\nparts:\\n- chapters:\\n  - file: a\\n  - file: b.md\\n"
    ...                  "- chapters:\\n  - file: c\\n")
    >>> toc_parts(p)
    [['intro'], ['a', 'b'], ['c']]
    """
    doc = yaml.safe_load(Path(toc_path).read_text())

    def walk(node, found):
        if isinstance(node, dict):
            name = _entry_name(node)
            if name:
                found.append(name)
            for key, value in node.items():
                if key != "file":
                    walk(value, found)
        elif isinstance(node, list):
            for value in node:
                walk(value, found)
        return found

    parts = [[re.sub(r"\.(md|ipynb)$", "", str(doc["root"]))]] if "root" in doc else []
    if isinstance(doc.get("parts"), list):
        parts += [walk(part, []) for part in doc["parts"]]
    rest = walk({k: v for k, v in doc.items() if k not in ("root", "parts")}, [])
    if rest:
        parts.append(rest)
    return [p for p in parts if p]


def toc_files(toc_path) -> list[str]:
    """Every ``file:`` entry of a Jupyter Book table of contents, in reading order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "_toc.yml"
    >>> _ = p.write_text("root: intro\\nparts:\\n- chapters:\\n  - file: a\\n  - file: b.md\\n")
    >>> toc_files(p)
    ['intro', 'a', 'b']
    """
    return [name for part in toc_parts(toc_path) for name in part]


def chapter_order(paths: BookPaths, only=None) -> list[Path]:
    """Chapter sources to execute, in table-of-contents order, the report last.

    Raises ``ValueError`` for a notebook missing from the table of contents (it
    would never be rendered) or for an unknown name in ``only``.
    """
    sources = {p.stem: p for p in sorted(paths.notebooks.glob("*.md"))}
    order = [name for name in toc_files(paths.book / "_toc.yml") if name in sources]
    missing = sorted(set(sources) - set(order))
    if missing:
        raise ValueError(f"notebooks {missing} are not listed in {paths.book / '_toc.yml'}; "
                         "add a `- file: NAME` entry for each")
    if REPORT_CHAPTER in order:
        order = [n for n in order if n != REPORT_CHAPTER] + [REPORT_CHAPTER]
    if only:
        unknown = sorted(set(only) - set(order))
        if unknown:
            raise ValueError(f"unknown chapter(s) {unknown}; choose from {order}")
        order = [n for n in order if n in set(only)]
    return [sources[n] for n in order]


def _front_matter(source: Path) -> dict:
    text = source.read_text()
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    doc = yaml.safe_load(match.group(1)) if match else None
    return doc if isinstance(doc, dict) else {}


def chapter_dependencies(paths: BookPaths, chapters: list[Path]) -> dict[str, set[str]]:
    """For each chapter to run, the chapters (among those to run) it must wait for.

    A chapter waits for those named in its front matter's ``thesis.after`` list when it has
    one, else for the chapter before it in its part; the reproduction report waits for all
    others.
    """
    names = [c.stem for c in chapters]
    wanted = set(names)
    deps: dict[str, set[str]] = {n: set() for n in names}
    for part in toc_parts(paths.book / "_toc.yml"):
        ran = [n for n in part if n in wanted and n != REPORT_CHAPTER]
        for before, after in itertools.pairwise(ran):
            deps[after].add(before)
    for source in chapters:
        after = (_front_matter(source).get("thesis") or {}).get("after")
        if after is None:
            continue
        unknown = sorted(set(after) - set(toc_files(paths.book / "_toc.yml")))
        if unknown:
            raise ValueError(f"{source}: `thesis.after` names unknown chapter(s) {unknown}")
        deps[source.stem] = set(after) & wanted
    if REPORT_CHAPTER in deps:
        deps[REPORT_CHAPTER] = wanted - {REPORT_CHAPTER}
    return deps


def input_digest(source: Path, parameters: dict, repo: Path = REPO_ROOT,
                 results_dir: Path | None = None) -> str:
    """Hash of everything a chapter's output depends on.

    The chapter source, its parameters, every ``thesis_lib`` module and every
    manifest; data generated by the library is a function of these. The command-line
    package is left out (chapters call the library, not the CLI; editing the site build must
    not re-execute every chapter), except this module, which decides how chapters run. The
    reproduction report also depends on the other chapters' results files, passed as
    ``results_dir``.
    """
    h = hashlib.sha256()
    h.update(source.read_bytes())
    h.update(repr(sorted(parameters.items())).encode())
    cli = repo / "thesis_lib" / "cli"
    for folder in ("thesis_lib", "data_manifests"):
        for path in sorted((repo / folder).rglob("*")):
            if path.parent == cli and path.name != Path(__file__).name:
                continue
            if path.is_file() and path.suffix in {".py", ".yml", ".yaml", ".json", ".txt", ".npz"}:
                h.update(str(path.relative_to(repo)).encode())
                h.update(path.read_bytes())
    if results_dir is not None and Path(results_dir).is_dir():
        for path in sorted(Path(results_dir).glob("*.json")):
            if path.stem != source.stem:
                h.update(path.name.encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _recorded_digest(ipynb: Path) -> str | None:
    if not ipynb.exists():
        return None
    # deferred on purpose: jupytext, nbformat and papermill load slowly; only execution needs them
    import nbformat
    try:
        nb = nbformat.read(ipynb, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable notebook just gets re-executed
        return None
    return nb.metadata.get("thesis", {}).get("input_digest")


def kernel_environment(paths: BookPaths, base=None) -> dict:
    """Environment for chapter kernels.

    The kernel imports this ``thesis_lib``; matplotlib uses the notebook's inline backend
    (a ``MPLBACKEND`` exported for headless tests would hide every figure); progress bars
    are off, because a chapter's output is a page, not a terminal.
    """
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(filter(None, [
        str(paths.repo), str(REPO_ROOT), env.get("PYTHONPATH")])))
    env.pop("MPLBACKEND", None)
    env["TQDM_DISABLE"] = "1"
    # tqdm.auto warns at import that notebook widgets are missing, even with bars disabled
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"),
                                                   "ignore:IProgress not found"]))
    return env


def _fold_code(notebook) -> None:
    """Collapse code behind a toggle; fold the machine-specific injected paths entirely."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if "injected-parameters" in tags or "parameters" in tags:
            tags = [t for t in tags if t not in _INPUT_TAGS] + ["remove-cell"]
        elif not _INPUT_TAGS & set(tags):
            tags.append("hide-input")
        cell.metadata["tags"] = tags


def execute_chapter(source: Path, paths: BookPaths, profile: str = "quick", seed: int = 0,
                    extra_parameters: dict | None = None, force: bool = False,
                    kernel_name: str = "python3", log=print) -> Path:
    """Run one chapter through jupytext and papermill into ``build/executed``.

    Returns the executed notebook's path. Skips the work when the recorded input
    digest matches (unless ``force``).
    """
    # deferred on purpose: jupytext, nbformat and papermill load slowly; only execution needs them
    import jupytext
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    name = source.stem
    parameters = {"profile": profile, "data_dir": str(paths.data_dir),
                  "results_dir": str(paths.results_dir), "seed": int(seed)}
    parameters.update(extra_parameters or {})
    digest = input_digest(source, parameters, paths.repo,
                          paths.results_dir if name == REPORT_CHAPTER else None)
    out = paths.executed / f"{name}.ipynb"
    if not force and _recorded_digest(out) == digest:
        log(f"[book] {name}: up to date, skipped")
        return out

    paths.executed.mkdir(parents=True, exist_ok=True)
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    paths.results_dir.mkdir(parents=True, exist_ok=True)
    notebook = jupytext.read(source)
    if not any("parameters" in c.metadata.get("tags", []) for c in notebook.cells):
        raise ValueError(f"{source} has no cell tagged `parameters`; add one defining "
                         "profile, data_dir, results_dir and seed")
    notebook.metadata["kernelspec"] = {"name": kernel_name, "display_name": "Python 3",
                                       "language": "python"}
    failed = paths.executed / f"{name}.failed.ipynb"
    t0 = time.perf_counter()
    log(f"[book] {name}: executing ({profile} profile)")
    with atomic_path(out) as tmp_out:
        tmp_in = tmp_out.with_name(tmp_out.name + ".in.ipynb")
        nbformat.write(notebook, tmp_in)
        saved = dict(os.environ)
        # papermill starts the kernel with this process's environment.
        os.environ.clear()
        os.environ.update(kernel_environment(paths, saved))
        try:
            result = papermill.execute_notebook(
                str(tmp_in), str(tmp_out), parameters=parameters, kernel_name=kernel_name,
                cwd=str(paths.repo), progress_bar=False, log_output=False,
                config=_encrypted_kernel_config())
        except PapermillExecutionError as exc:
            shutil.copyfile(tmp_out, failed)
            first_line = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")
            raise ChapterFailed(
                f"chapter `{name}` ({source}) failed in cell {exc.cell_index} of the executed "
                f"notebook (execution count {exc.exec_count}, starting `{first_line.strip()}`): "
                f"{exc.ename}: {exc.evalue}\nthe partial notebook is {failed}") from None
        finally:
            tmp_in.unlink(missing_ok=True)
            os.environ.clear()
            os.environ.update(saved)
        _fold_code(result)
        result.metadata["thesis"] = {"input_digest": digest, "profile": profile,
                                     "parameters": parameters}
        nbformat.write(result, tmp_out)
    failed.unlink(missing_ok=True)
    log(f"[book] {name}: done in {time.perf_counter() - t0:.1f} s")
    return out


def _encrypted_kernel_config():
    """Kernel-manager settings that encrypt the kernel's local sockets when it can.

    The book's two workers run two kernels at once over localhost TCP; with
    ``transport_encryption="auto"`` jupyter_client gives each kernel its own CurveZMQ
    keys when the kernelspec declares support (ipykernel's does), so no other local
    process can read the traffic, and the kernel no longer warns that it is unencrypted.
    A kernel without that support, or a pyzmq built without libsodium (where "auto"
    is refused), still starts, over plain TCP.
    """
    import zmq
    from traitlets.config import Config
    policy = "auto" if zmq.has("curve") else "disabled"
    return Config({"KernelManager": {"transport_encryption": policy}})


def _chain_depths(deps: dict[str, set[str]]) -> dict[str, int]:
    """For each chapter, the length of the longest chain of chapters that wait on it.

    Examples
    --------
    >>> _chain_depths({"a": set(), "b": {"a"}, "c": {"b"}, "d": set()})
    {'a': 2, 'b': 1, 'c': 0, 'd': 0}
    """
    waiting = {n: [m for m in deps if n in deps[m]] for n in deps}
    memo: dict[str, int] = {}

    def depth(name, seen=()):
        if name not in memo:
            if name in seen:  # a cycle; execute_chapters reports it
                return 0
            memo[name] = max((1 + depth(m, (*seen, name)) for m in waiting[name]), default=0)
        return memo[name]

    return {n: depth(n) for n in deps}


def _run_one(source, paths, options):
    """Worker entry point (module level so that a spawned process can import it)."""
    return execute_chapter(source, paths, log=lambda m: print(m, flush=True), **options)


def execute_chapters(chapters: list[Path], paths: BookPaths, *, workers: int = 2, log=print,
                     **options) -> list[Path]:
    """Execute ``chapters`` respecting :func:`chapter_dependencies`, ``workers`` at a time.

    With one worker (or one chapter) everything runs in this process, in order. A failing
    chapter stops new ones from starting; those already running finish, then the first
    failure is raised.
    """
    if workers <= 1 or len(chapters) <= 1:
        return [execute_chapter(c, paths, log=log, **options) for c in chapters]
    deps = chapter_dependencies(paths, chapters)
    by_name = {c.stem: c for c in chapters}
    # Longest chain of waiting chapters first (the critical path), then reading order.
    depth = _chain_depths(deps)
    pending = sorted((c.stem for c in chapters), key=lambda n: -depth[n])
    done: set[str] = set()
    outputs: dict[str, Path] = {}
    failure: BaseException | None = None
    # spawn: a fresh interpreter per worker, no forked copy of this process's threads.
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        running: dict[cf.Future, str] = {}
        while pending or running:
            if failure is None:
                for name in [n for n in pending if deps[n] <= done][: workers - len(running)]:
                    pending.remove(name)
                    running[pool.submit(_run_one, by_name[name], paths, options)] = name
            if not running:
                break
            finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                name = running.pop(fut)
                try:
                    outputs[name] = fut.result()
                    done.add(name)
                except BaseException as exc:  # noqa: BLE001 - re-raised below
                    failure = failure or exc
    if failure is not None:
        raise failure
    if pending:
        raise RuntimeError(f"chapters {pending} wait on each other (a cycle in `thesis.after`)")
    return [outputs[c.stem] for c in chapters]

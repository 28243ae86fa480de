"""Integration test: the real slurm/*.sbatch scripts on a real single-node SLURM cluster.

The set-up starts the project's own harness (``slurm/local_cluster.sh start``: munge,
slurmctld, slurmd on loopback; it installs the Debian packages when missing). That needs
root; without it the test fails with a message saying so — it is never skipped.

``slurm/submit_all.sh`` then submits the chain with tiny quick-profile sizes: corpus render
and clips, paired generation as an array of K=4 tasks, one chapter through
jupytext | papermill, and the report/book stage. The checks: every job completes, the array
tasks wrote disjoint fractions that together cover the clean set, and the array's output is
byte-identical to a single-process (K=1) run of the same generator (thesis §6.2).
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from thesis_lib.data import StandInDegradation, generate_pairs, read_timings

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "slurm" / "local_cluster.sh"
TIMEOUT_S = 900

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def slurm_env():
    if os.geteuid() != 0:
        pytest.fail("the SLURM integration test starts munged/slurmctld/slurmd and must run as "
                    "root (CI runs it as root); run `sudo make test` or "
                    "`sudo bash slurm/local_cluster.sh start` first")
    was_running = subprocess.run(["bash", str(HARNESS), "status"],
                                 capture_output=True).returncode == 0
    proc = subprocess.run(["bash", str(HARNESS), "start"], capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"local SLURM did not start (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    conf = re.search(r"export SLURM_CONF=(\S+)", proc.stdout)
    assert conf, proc.stdout
    env = {**os.environ, "SLURM_CONF": conf.group(1)}
    yield env
    if not was_running:
        subprocess.run(["bash", str(HARNESS), "stop"], capture_output=True, timeout=120)


def _job_state(job_id, env):
    out = subprocess.run(["scontrol", "show", "job", "-o", str(job_id)], capture_output=True,
                         text=True, env=env).stdout
    return re.findall(r"JobState=(\S+)", out)


def _wait(job_ids, env, logs: Path):
    deadline = time.monotonic() + TIMEOUT_S
    terminal = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL"}
    while time.monotonic() < deadline:
        states = {j: _job_state(j, env) for j in job_ids}
        failed = {j: s for j, s in states.items() if any(x in terminal - {"COMPLETED"} for x in s)}
        if failed:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}"
                              for p in sorted(logs.glob("*.out")))
            pytest.fail(f"SLURM jobs failed: {failed}\n{tails}")
        if all(s and all(x == "COMPLETED" for x in s) for s in states.values()):
            return
        time.sleep(2)
    pytest.fail(f"SLURM jobs not finished after {TIMEOUT_S} s: "
                f"{ {j: _job_state(j, env) for j in job_ids} }")


def test_submit_all_runs_the_chain_on_a_real_cluster(slurm_env, tmp_path):
    work = tmp_path / "work"
    stages = "prepare pairs notebooks book"
    train_verb = (REPO / "thesis_lib" / "cli" / "train.py").exists()
    if train_verb:  # the denoiser's `thesis train` exists: submit the GPU scripts too
        stages = "prepare pairs smoke train notebooks book"
    env = {**slurm_env, "THESIS_PYTHON": sys.executable, "THESIS_REPO": str(REPO),
           "THESIS_WORK": str(work), "THESIS_STAGES": stages,
           "THESIS_CORPUS_SUBSET": "mixed", "THESIS_CORPUS_TRACKS": "3",
           "THESIS_PAIRS_MODE": "stand-in", "THESIS_SEED": "3", "THESIS_GEN_ARRAY": "1-4",
           "THESIS_NOTEBOOKS": "metrics", "THESIS_BOOK_SITE": "0",
           "THESIS_TRAIN_CONFIG": "smoke", "THESIS_TRAIN_ARGS": "--epochs 1",
           "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    for stage in ("PREP", "GEN", "NB", "BOOK", "SMOKE", "TRAIN"):
        env.update({f"THESIS_{stage}_CPUS": "1", f"THESIS_{stage}_MEM": "3G",
                    f"THESIS_{stage}_TIME": "00:15:00"})
    proc = subprocess.run(["bash", str(REPO / "slurm" / "submit_all.sh")], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    ids = dict(line.split("=", 1) for line in proc.stdout.split() if "=" in line)
    submitted = [v for v in ids.values() if v]
    assert len(submitted) == len(stages.split())
    _wait(submitted, env, work / "logs")

    clean, pairs = work / "data" / "clean", work / "data" / "degraded"
    clean_clips = sorted(p.relative_to(clean).as_posix() for p in clean.rglob("*.wav"))
    assert len(clean_clips) == 3 * 6
    # four array tasks, disjoint fractions covering every clip once
    logged = read_timings(pairs)
    assert sorted({r["worker"] for r in logged}) == [f"{k}-of-4" for k in range(1, 5)]
    assert sorted(r["relpath"] for r in logged) == clean_clips
    # the array's dataset equals a single-process run, byte for byte
    local = tmp_path / "local"
    generate_pairs(clean, local, transform=StandInDegradation(), seed=3)
    for rel in clean_clips:
        assert (pairs / rel).read_bytes() == (local / rel).read_bytes(), rel
    # same parameters; the code version may differ if a commit landed while the jobs ran
    strip = lambda p: {k: v for k, v in json.loads(p.read_text()).items() if k != "code_version"}  # noqa: E731
    assert strip(pairs / "params.json") == strip(local / "params.json")
    assert not list(pairs.rglob(".*.partial*"))
    # chapter executed by jupytext | papermill, then the report stage
    executed = work / "book" / "executed"
    assert (executed / "metrics.ipynb").is_file()
    assert (executed / "reproduction_report.ipynb").is_file()
    assert (work / "book" / "results" / "metrics.json").is_file()
    # thread variables follow --cpus-per-task (thesis §4.2)
    first_task = next((work / "logs").glob("thesis-pairs-*_1.out")).read_text()
    assert "1 thread(s)" in first_task
    if train_verb:
        assert any((work / "checkpoints").rglob("*.pt"))

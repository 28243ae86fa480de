# Sourced by every slurm/*.sbatch script and by submit_all.sh: paths, python and thread settings.
# Every value can be overridden from the environment (sbatch exports the submitting shell's
# environment by default). Resource defaults live in submit_all.sh (thesis Table 4.1).

# The clone: sbatch copies the script to a spool folder, so $0 cannot locate it.
: "${THESIS_REPO:=${SLURM_SUBMIT_DIR:-$PWD}}"
if [[ ! -f $THESIS_REPO/thesis_lib/__init__.py ]]; then
  echo "THESIS_REPO=$THESIS_REPO is not the compendium clone; submit from it or export THESIS_REPO" >&2
  exit 2
fi
: "${THESIS_PROFILE:=quick}"                       # chapter profile: quick | full
: "${THESIS_WORK:=$THESIS_REPO/build/slurm}"        # everything the jobs write
: "${DATA_DIRECTORY:=$THESIS_WORK/data}"            # thesis §4.2 name
: "${THESIS_AUDIO_DIR:=}"                           # tracks (e.g. an FMA subset); empty: render the corpus
: "${THESIS_CORPUS_SUBSET:=classical}"              # classical | mixed
: "${THESIS_CORPUS_TRACKS:=10}"
: "${THESIS_CLEAN_DIR:=$DATA_DIRECTORY/clean}"
: "${THESIS_PAIRS_DIR:=$DATA_DIRECTORY/degraded}"   # `thesis train --data` expects clean/ + degraded/
: "${THESIS_PAIRS_MODE:=emulator}"                  # emulator | stand-in | copy
: "${THESIS_EMULATOR_PARAMS:=}"                     # emulator parameters JSON (empty: defaults)
: "${THESIS_SEED:=0}"
: "${CHECKPOINT_FOLDER:=$THESIS_WORK/checkpoints}"  # thesis §4.2 name
: "${THESIS_BUILD_DIR:=$THESIS_WORK/book}"
: "${THESIS_LOG_DIR:=$THESIS_WORK/logs}"
export THESIS_REPO THESIS_PROFILE THESIS_WORK DATA_DIRECTORY THESIS_AUDIO_DIR THESIS_CORPUS_SUBSET \
  THESIS_CORPUS_TRACKS THESIS_CLEAN_DIR THESIS_PAIRS_DIR THESIS_PAIRS_MODE THESIS_EMULATOR_PARAMS \
  THESIS_SEED CHECKPOINT_FOLDER THESIS_BUILD_DIR THESIS_LOG_DIR

# Python of the compendium: $THESIS_PYTHON, else the Makefile's environment (created if needed).
if [[ -z ${THESIS_PYTHON:-} ]]; then
  THESIS_PYTHON=$(make -s -C "$THESIS_REPO" python-path | tail -n 1)
fi
export THESIS_PYTHON
export PYTHONPATH="$THESIS_REPO${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND=Agg

# One thread pool per allocated CPU, so that numpy/numba/torch do not oversubscribe the node.
threads=${SLURM_CPUS_PER_TASK:-1}
export OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads \
  NUMEXPR_NUM_THREADS=$threads NUMBA_NUM_THREADS=$threads
# Numba's compilation cache on node-local scratch (thesis §4.2), shared by the job's steps.
scratch=${SLURM_TMPDIR:-${TMPDIR:-/tmp}}
export NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$scratch/numba-cache-${SLURM_JOB_ID:-local}}
mkdir -p "$NUMBA_CACHE_DIR" "$THESIS_LOG_DIR"
cd "$THESIS_REPO"
echo "[$(date -u +%FT%TZ)] job ${SLURM_JOB_ID:-?} task ${SLURM_ARRAY_TASK_ID:-} on $(hostname): python $THESIS_PYTHON, $threads thread(s)"

#!/usr/bin/env bash
# Submit the whole Task 2 workflow as a chain of SLURM jobs (thesis §4.2):
#
#   prepare_clips ──afterok──> generate_pairs (array 1-K) ──afterok──> train_smoke ──afterok──> train ─┐
#                                      └──afterok──> run_notebooks (array, one chapter per task) ──────┴─afterok──> build_book
#
# Run from the clone:  bash slurm/submit_all.sh        (prints the job ids; also written to
# $THESIS_WORK/jobs.env). Resources default to thesis Table 4.1 and are overridden from the
# environment; paths and modes are documented in slurm/env.sh:
#   THESIS_ACCOUNT                       --account for every job (default: none)
#   THESIS_STAGES                        subset of "prepare pairs smoke train notebooks book"
#   THESIS_GEN_PARTITION=general THESIS_GEN_ARRAY=1-4 THESIS_GEN_CPUS=16 THESIS_GEN_MEM=64G THESIS_GEN_TIME=4-00:00:00
#   THESIS_TRAIN_PARTITION=a100-daily THESIS_TRAIN_GRES=gpu:1 THESIS_TRAIN_CPUS=8 THESIS_TRAIN_MEM=32G THESIS_TRAIN_TIME=24:00:00
#   THESIS_SMOKE_PARTITION=a100-general THESIS_SMOKE_GRES=gpu:1 THESIS_SMOKE_CPUS=4 THESIS_SMOKE_MEM=16G THESIS_SMOKE_TIME=00:10:00
#   THESIS_PREP_PARTITION=general THESIS_PREP_CPUS=4 THESIS_PREP_MEM=16G THESIS_PREP_TIME=12:00:00
#   THESIS_NB_PARTITION=general THESIS_NB_CPUS=4 THESIS_NB_MEM=16G THESIS_NB_TIME=12:00:00
#   THESIS_BOOK_PARTITION=general THESIS_BOOK_CPUS=2 THESIS_BOOK_MEM=8G THESIS_BOOK_TIME=02:00:00
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export THESIS_REPO=${THESIS_REPO:-$(dirname "$here")}
SLURM_SUBMIT_DIR=$THESIS_REPO source "$here/env.sh" >/dev/null
stages=" ${THESIS_STAGES:-prepare pairs smoke train notebooks book} "
account=(${THESIS_ACCOUNT:+--account="$THESIS_ACCOUNT"})

submit() { # name dependency-ids... -- sbatch options... script
  local deps=() ids=() opts=()
  while [[ $1 != -- ]]; do [[ -n $1 ]] && ids+=("$1"); shift; done
  shift
  ((${#ids[@]})) && deps=(--dependency="afterok:$(IFS=:; echo "${ids[*]}")")
  # one log per job, or per array task (%A array id, %a task id)
  local log="$THESIS_LOG_DIR/%x-%j.out"
  [[ " $* " == *" --array="* ]] && log="$THESIS_LOG_DIR/%x-%A_%a.out"
  sbatch --parsable --chdir="$THESIS_REPO" --export=ALL --output="$log" "${account[@]}" "${deps[@]}" "$@" | cut -d';' -f1
}
has() { [[ $stages == *" $1 "* ]]; }

prep="" gen="" smoke="" train="" nb="" book=""
if has prepare; then
  prep=$(submit -- --partition="${THESIS_PREP_PARTITION:-general}" --cpus-per-task="${THESIS_PREP_CPUS:-4}" \
    --mem="${THESIS_PREP_MEM:-16G}" --time="${THESIS_PREP_TIME:-12:00:00}" "$here/prepare_clips.sbatch")
fi
if has pairs; then
  gen=$(submit "$prep" -- --partition="${THESIS_GEN_PARTITION:-general}" --array="${THESIS_GEN_ARRAY:-1-4}" \
    --cpus-per-task="${THESIS_GEN_CPUS:-16}" --mem="${THESIS_GEN_MEM:-64G}" \
    --time="${THESIS_GEN_TIME:-4-00:00:00}" "$here/generate_pairs.sbatch")
fi
if has smoke; then
  smoke=$(submit "$gen" -- --partition="${THESIS_SMOKE_PARTITION:-a100-general}" --gres="${THESIS_SMOKE_GRES:-gpu:1}" \
    --cpus-per-task="${THESIS_SMOKE_CPUS:-4}" --mem="${THESIS_SMOKE_MEM:-16G}" \
    --time="${THESIS_SMOKE_TIME:-00:10:00}" "$here/train_smoke.sbatch")
fi
if has train; then
  train=$(submit "${smoke:-$gen}" -- --partition="${THESIS_TRAIN_PARTITION:-a100-daily}" \
    --gres="${THESIS_TRAIN_GRES:-gpu:1}" --cpus-per-task="${THESIS_TRAIN_CPUS:-8}" \
    --mem="${THESIS_TRAIN_MEM:-32G}" --time="${THESIS_TRAIN_TIME:-24:00:00}" "$here/train.sbatch")
fi
if has notebooks; then
  if [[ -n ${THESIS_NOTEBOOKS:-} ]]; then
    read -r -a chapters <<<"$THESIS_NOTEBOOKS"
  else
    mapfile -t chapters < <("$THESIS_PYTHON" - <<'PY'
from thesis_lib.cli.book import REPORT_CHAPTER, BookPaths, chapter_order
for source in chapter_order(BookPaths.default()):
    if source.stem != REPORT_CHAPTER:
        print(source.stem)
PY
    )
  fi
  export THESIS_NOTEBOOKS="${chapters[*]}"   # the array's task i runs chapter i of this list
  nb=$(submit "$gen" -- --partition="${THESIS_NB_PARTITION:-general}" --array="1-${#chapters[@]}" \
    --cpus-per-task="${THESIS_NB_CPUS:-4}" --mem="${THESIS_NB_MEM:-16G}" \
    --time="${THESIS_NB_TIME:-12:00:00}" "$here/run_notebooks.sbatch")
fi
if has book; then
  book=$(submit "$nb" "$train" -- --partition="${THESIS_BOOK_PARTITION:-general}" \
    --cpus-per-task="${THESIS_BOOK_CPUS:-2}" --mem="${THESIS_BOOK_MEM:-8G}" \
    --time="${THESIS_BOOK_TIME:-02:00:00}" "$here/build_book.sbatch")
fi
mkdir -p "$THESIS_WORK"
printf 'PREPARE=%s\nPAIRS=%s\nSMOKE=%s\nTRAIN=%s\nNOTEBOOKS=%s\nBOOK=%s\n' \
  "$prep" "$gen" "$smoke" "$train" "$nb" "$book" | tee "$THESIS_WORK/jobs.env"

#!/usr/bin/env bash
# A real single-node SLURM cluster (munge + slurmctld + slurmd) on loopback, for the
# integration test of slurm/*.sbatch and for trying the scripts on one machine.
# Must run as root on Debian/Ubuntu; installs the Debian packages when they are missing.
#
#   bash slurm/local_cluster.sh start|stop|status     (start is idempotent)
#
# After `start`, point the SLURM clients at it with the printed `export SLURM_CONF=...`.
# Environment (all optional):
#   LOCAL_SLURM_DIR          state/log folder            (default ${TMPDIR:-/tmp}/thesis-local-slurm)
#   LOCAL_SLURM_PARTITIONS   partitions, first = default (default "general a100-daily a100-general",
#                            the partitions of thesis Table 4.1)
#   LOCAL_SLURM_GPUS         fake GPUs, N or TYPE:N      (default a100:1; /dev/null-backed, so GPU
#                            job scripts can be submitted; the job itself sees no CUDA device)
#   LOCAL_SLURM_CPUS, LOCAL_SLURM_MEM_MB   advertise other than the hardware
#   LOCAL_SLURM_CTLD_PORT, LOCAL_SLURM_SLURMD_PORT   (default 6817, 6818)
#   LOCAL_SLURM_NODENAME     (default: short host name)
#
# Adapted from the bring-up that works in this project's build environment: munge gets its own
# key and socket folder (no init system, no /run/munge); the controller is addressed as
# localhost(127.0.0.1) so host-name resolution cannot break it; DefMemPerCPU keeps array tasks
# from each claiming the whole node's memory (they then run side by side); batch_sched_delay=0
# removes a multi-second scheduling delay; pending jobs are cancelled before the daemons stop so
# no slurmstepd is orphaned; pid files are checked against /proc/PID/comm (PID reuse).
# There is no accounting database: use `scontrol show job`, not `sacct`.
set -euo pipefail
D=${LOCAL_SLURM_DIR:-${TMPDIR:-/tmp}/thesis-local-slurm}
CTLD_PORT=${LOCAL_SLURM_CTLD_PORT:-6817}
SLURMD_PORT=${LOCAL_SLURM_SLURMD_PORT:-6818}
PARTITIONS=${LOCAL_SLURM_PARTITIONS:-"general a100-daily a100-general"}
GPUS=${LOCAL_SLURM_GPUS:-a100:1}
export SLURM_CONF=$D/slurm.conf

say() { echo "[local-slurm] $*" >&2; }

# A daemon is alive when its pid file names a running process with the expected command name.
running() {
  local pid
  pid=$(cat "$1" 2>/dev/null) && [[ -n $pid ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]]
}

halt() { # pidfile comm
  local pid
  if running "$1" "$2"; then
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then say "$2 ($pid) ignored SIGTERM; sending SIGKILL"; kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$1"
}

stop() {
  if running "$D/run/slurmctld.pid" slurmctld; then
    squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null || true
    for _ in $(seq 50); do [[ -z $(squeue -h 2>/dev/null) ]] && break; sleep 0.1; done
  fi
  halt "$D/run/slurmd.pid" slurmd
  halt "$D/run/slurmctld.pid" slurmctld
  halt "$D/munge/munged.pid" munged
  if [[ -L /etc/slurm/slurm.conf && $(readlink /etc/slurm/slurm.conf) == "$D/slurm.conf" ]]; then
    rm -f /etc/slurm/slurm.conf
  fi
  say "stopped"
}

healthy() {
  running "$D/munge/munged.pid" munged && running "$D/run/slurmctld.pid" slurmctld &&
    running "$D/run/slurmd.pid" slurmd && scontrol ping 2>/dev/null | grep -q 'is UP' &&
    sinfo -h -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'
}

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
     command -v munged >/dev/null && command -v sbatch >/dev/null; then return 0; fi
  command -v apt-get >/dev/null || { say "slurmctld/slurmd/munge are missing and apt-get is not available; install SLURM and munge by hand"; exit 1; }
  say "installing slurmctld slurmd slurm-client munge (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
}

start() {
  if [[ $(id -u) != 0 ]]; then
    say "must run as root (it starts munged/slurmctld/slurmd and may install packages); try: sudo bash $0 start"
    exit 1
  fi
  install_packages
  if healthy; then say "already running"; echo "export SLURM_CONF=$SLURM_CONF"; return 0; fi
  stop 2>/dev/null   # remove a stale or half-started instance
  local port
  for port in "$CTLD_PORT" "$SLURMD_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      say "port $port is taken (another slurmctld/slurmd?); set LOCAL_SLURM_CTLD_PORT/LOCAL_SLURM_SLURMD_PORT"
      exit 1
    fi
  done
  local node
  node=${LOCAL_SLURM_NODENAME:-$(hostname -s 2>/dev/null || true)}
  node=${node:-localnode}
  rm -rf "$D/state" "$D/spool"   # job ids start afresh each time
  mkdir -p "$D"/{run,log,state,spool,munge,dev} /etc/slurm
  chmod 755 "$D" "$D/munge"       # munged wants its socket folder o+x but not o+w
  local f
  for f in "$D"/log/*.log "$D"/log/*.out; do [[ -f $f ]] && mv -f "$f" "$f.prev"; done

  [[ -s $D/munge/munge.key ]] || mungekey --create --keyfile="$D/munge/munge.key" --force
  chmod 600 "$D/munge/munge.key"
  munged --force --socket="$D/munge/munge.socket" --key-file="$D/munge/munge.key" \
    --log-file="$D/munge/munged.log" --pid-file="$D/munge/munged.pid" --seed-file="$D/munge/munged.seed"
  munge -n -S "$D/munge/munge.socket" | unmunge -S "$D/munge/munge.socket" >/dev/null

  local hw cpus topo mem extra="" gres=""
  hw=$(slurmd -C | head -1)
  cpus=$(grep -oP 'CPUs=\K\d+' <<<"$hw")
  topo="Sockets=$(grep -oP 'SocketsPerBoard=\K\d+' <<<"$hw") CoresPerSocket=$(grep -oP 'CoresPerSocket=\K\d+' <<<"$hw") ThreadsPerCore=$(grep -oP 'ThreadsPerCore=\K\d+' <<<"$hw")"
  mem=$(( $(grep -oP 'RealMemory=\K\d+' <<<"$hw") * 9 / 10 ))
  if [[ -n ${LOCAL_SLURM_CPUS:-}${LOCAL_SLURM_MEM_MB:-} ]]; then
    cpus=${LOCAL_SLURM_CPUS:-$cpus}; mem=${LOCAL_SLURM_MEM_MB:-$mem}; topo=""
    extra="SlurmdParameters=config_overrides"
  fi
  : > "$D/gres.conf"
  local ngpu=${GPUS##*:} gtype=""
  [[ $GPUS == *:* ]] && gtype=${GPUS%%:*}
  if (( ngpu > 0 )); then   # gres/gpu needs device files; symlinks to /dev/null are accepted
    for ((f = 0; f < ngpu; f++)); do ln -sfn /dev/null "$D/dev/nvidia$f"; done
    echo "Name=gpu ${gtype:+Type=$gtype }File=$D/dev/nvidia[0-$((ngpu - 1))]" > "$D/gres.conf"
    gres="Gres=gpu:${gtype:+$gtype:}$ngpu"
    extra+=$'\nGresTypes=gpu'
  fi
  {
    cat <<CONF
ClusterName=thesislocal
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$(( mem / cpus ))
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=3600
$extra
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus $topo RealMemory=$mem $gres State=UNKNOWN
CONF
    local default=YES p
    for p in $PARTITIONS; do
      echo "PartitionName=$p Nodes=$node Default=$default MaxTime=INFINITE State=UP"
      default=NO
    done
  } > "$D/slurm.conf"
  if [[ -e /etc/slurm/slurm.conf && ! -L /etc/slurm/slurm.conf ]]; then
    say "/etc/slurm/slurm.conf exists and is not ours; leaving it (clients must use SLURM_CONF)"
  else
    ln -sfn "$D/slurm.conf" /etc/slurm/slurm.conf
  fi
  setsid slurmctld -D -i >"$D/log/slurmctld.out" 2>&1 </dev/null &
  setsid slurmd -D -N "$node" >"$D/log/slurmd.out" 2>&1 </dev/null &
  for _ in $(seq 150); do healthy && break; sleep 0.2; done
  if ! healthy; then say "did not come up; last log lines:"; tail -n 20 "$D"/log/*.out >&2; exit 1; fi
  say "up: $(sinfo -h -o '%P %T %N cpus=%c mem=%m %G' | paste -sd';')"
  echo "export SLURM_CONF=$SLURM_CONF"
}

case ${1:-start} in
  start) start ;;
  stop) stop ;;
  status) if healthy; then sinfo; else say "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for testing the workflow's Slurm profile for real:
#
#   workflow/slurm/one-node.sh start DIR   # → prints `export SLURM_CONF=DIR/slurm.conf`
#   workflow/slurm/one-node.sh stop DIR
#
# Everything lives under DIR (configuration, munge key and socket, state, logs); nothing is written to
# /etc and no system service is touched. The daemons run as the calling user (root: Slurm's daemons
# and munged need it), are stopped by the pids they wrote, and listen on free ports. Debian 12's
# slurmctld, slurmd and munge are installed when missing (`make setup-cluster-test`).
#
# What makes a one-node cluster behave: no accounting (no slurmdbd); process tracking by process group
# (a job step outlives scancel under linuxproc); no task plugin; impossible requests rejected at once
# (EnforcePartLimits=ALL) instead of pending forever; a node that restarts returns to service.
set -euo pipefail

die() { echo "one-node.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 start|stop DIR"
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

stop() {
  local name pid
  for name in slurmd slurmctld munged; do
    [ -f "$dir/$name.pid" ] || continue
    pid=$(cat "$dir/$name.pid")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$name.pid"
  done
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

case $cmd in
  stop) stop; exit 0 ;;
  start) ;;
  *) die "unknown command '$cmd': start or stop" ;;
esac

[ "$(id -u)" = 0 ] || die "the Slurm daemons and munged run as root here; run as root (or sudo)"
for b in slurmctld slurmd munged sbatch; do
  command -v "$b" >/dev/null || die "$b not found: install Debian's slurmctld, slurmd and munge (make setup-cluster-test)"
done

stop
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))

# munge: its own key, socket and files under DIR
[ -f "$dir/munge/munge.key" ] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$dir/munge/munge.key"; }
socket="$dir/munge/munge.socket"
munged --force --key-file="$dir/munge/munge.key" --socket="$socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"

cat > "$dir/slurm.conf" <<CONF
ClusterName=onenode
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ProctrackType=proctrack/pgid
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
EnforcePartLimits=ALL
ReturnToService=2
KillWait=30
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
# ready when the node is idle
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  case $state in idle*|mixed*|allocated*) echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
  sleep 0.2
done
echo "one-node.sh: the node did not come up (state '${state:-none}'); logs: $dir/slurmctld.log, $dir/slurmd.log" >&2
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 1

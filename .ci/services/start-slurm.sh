#!/usr/bin/env bash
# Start a real one-node SLURM (slurmctld + slurmd + munge) on this machine, idempotently.
#
#   .ci/services/start-slurm.sh      # installs Debian's slurm packages if missing, writes slurm.conf, starts
#                                    # munged, slurmctld and slurmd, waits until the node is idle
# For trying the cluster backend (and for the tests) on one machine: no systemd, no cgroups, no accounting
# database (sacct does not work; the Atlas polls squeue/scontrol instead). Needs root. On a real cluster,
# skip this script: the login node already has sbatch/squeue/scancel.
set -euo pipefail

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null || true  # the packages' own service starts fail without systemd
fi
host=$(hostname -s)
getent hosts "$host" >/dev/null || echo "127.0.0.1 $host" >>/etc/hosts

mkdir -p /run/munge /var/log/munge /run/slurm /var/log/slurm /var/spool/slurmctld /var/spool/slurmd /etc/slurm
chown munge:munge /run/munge /var/log/munge
chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null;
                                 chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
pgrep -x munged >/dev/null || runuser -u munge -- munged

conf=/etc/slurm/slurm.conf
if ! grep -q "transfer-atlas one-node" "$conf" 2>/dev/null; then
  cat >"$conf" <<CONF
# transfer-atlas one-node SLURM (.ci/services/start-slurm.sh)
ClusterName=atlas
SlurmctldHost=$host
SlurmUser=slurm
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
MailProg=/bin/true
ReturnToService=2
# Seconds a job gets between SIGTERM and SIGKILL at its time limit or on scancel.
KillWait=10
$(slurmd -C | head -1) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
fi
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 60); do
  state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
  case "$state" in idle|mix|alloc) echo "slurm: node $host $state"; exit 0 ;; esac
  sleep 0.5
done
echo "slurm did not come up; see /var/log/slurm/" >&2
exit 1

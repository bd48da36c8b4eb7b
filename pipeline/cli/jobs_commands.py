"""`submit`, `jobs`, `cancel`, `retry` and `worker`: the run queue from the command line."""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path

from pipeline.cli.common import UserError, add_store_argument, store_location
from pipeline.jobs import DEFAULT_LEASE, Execution, JobError, JobQueue, cancel, run_worker, submit
from pipeline.jobs.cluster import CLUSTERS
from pipeline.jobs.progress import format_duration, format_eta
from pipeline.jobs.spec import parse_execution, read_execution
from pipeline.jobs.worker import CLUSTER_POLL
from pipeline.store import redact


def register(subparsers: argparse._SubParsersAction) -> None:
    sub = subparsers.add_parser("submit", help="queue a run config for a worker (refused if it is invalid)")
    sub.add_argument("config", help="YAML run config (see data/configs/)")
    sub.add_argument("--force", action="store_true", help="run again even if identical results are stored")
    sub.add_argument("--execution", metavar="FILE", help="YAML with backend, partition, gpus_per_node, "
                                                         "cpus_per_task, mem_gb, timeout_min")
    sub.add_argument("--backend", choices=("local", "slurm"), help="override the execution file's backend")
    sub.add_argument("--partition", help="SLURM partition")
    sub.add_argument("--gpus", type=int, dest="gpus_per_node", help="GPUs per node (SLURM)")
    sub.add_argument("--time-min", type=int, dest="timeout_min", help="time limit in minutes (SLURM)")
    sub.add_argument("--wait", action="store_true", help="wait until the job has finished")
    sub.add_argument("--skip-preflight", dest="preflight", action="store_false", default=None,
                     help="start the run without checking first that every model and split loads")
    add_store_argument(sub)
    sub.set_defaults(handler=_submit)

    jobs = subparsers.add_parser("jobs", help="list queued, running and finished jobs")
    jobs.add_argument("--limit", type=int, default=20)
    add_store_argument(jobs)
    jobs.set_defaults(handler=_jobs)
    actions = (("cancel", _cancel, "cancel a queued or running job"),
               ("retry", _retry, "queue a failed or cancelled job again (finished phases are reused)"))
    for name, handler, text in actions:
        action = subparsers.add_parser(name, help=text)
        action.add_argument("job_id", type=int)
        add_store_argument(action)
        action.set_defaults(handler=handler)

    worker = subparsers.add_parser("worker", help="run queued jobs one at a time (Ctrl-C stops it)")
    worker.add_argument("--once", action="store_true", help="take at most one job, then exit")
    worker.add_argument("--lease", type=float, default=DEFAULT_LEASE,
                        help="seconds without a heartbeat after which a running job's worker counts as lost")
    worker.add_argument("--poll", type=float, default=1.0, help="seconds between looks at an empty queue")
    worker.add_argument("--idle-exit", type=float, default=None, help="exit after this many idle seconds")
    worker.add_argument("--cluster-poll", type=_seconds, default=CLUSTER_POLL,
                        help="seconds between looks at SLURM's record of the jobs this worker submitted")
    worker.add_argument("--embedded", action="store_true",
                        help="the dashboard's worker: exit at once if another embedded worker holds the lock")
    worker.add_argument("--submitit-cluster", choices=CLUSTERS, default="slurm",
                        help="where slurm-backend jobs go: SLURM, or submitit's local executor (testing)")
    add_store_argument(worker)
    worker.set_defaults(handler=_worker)


def _seconds(text: str) -> float:
    """A number of seconds above 0 (argparse names the option and exits 2 otherwise)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return seconds


def _execution(args: argparse.Namespace) -> Execution:
    base = read_execution(args.execution) if args.execution else Execution()
    overrides = {k: getattr(args, k) for k in ("backend", "partition", "gpus_per_node", "timeout_min", "preflight")
                 if getattr(args, k) is not None}
    return parse_execution({**base.model_dump(), **overrides}, "command line") if overrides else base


def _submit(args: argparse.Namespace) -> int:
    try:
        text = Path(args.config).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"no such config file: {args.config}") from None
    store = store_location(args)
    outcome = submit(store, text, args.config, _execution(args), force=args.force)
    job = outcome.job
    if outcome.created:
        print(f"job {job.job_id} queued: {job.name} ({len(job.run_ids)} runs, {job.units} store batches, "
              f"{job.execution.backend})")
    elif job.state == "done":
        print(f"already done as job {job.job_id}: its {job.n_rows or 'stored'} rows are in {redact(store)} "
              f"(run ids {', '.join(job.run_ids)}); --force runs it again")
    else:
        print(f"the same runs are already {job.state} as job {job.job_id}")
    if args.wait:
        return _wait(JobQueue(store), job.job_id)
    return 0


def _wait(queue: JobQueue, job_id: int) -> int:
    job = queue.get(job_id)
    while job.is_active:
        time.sleep(1.0)
        job = queue.get(job_id)
    print(f"job {job_id}: {job.state}" + (f" — {job.error}" if job.error else ""))
    return 0 if job.state == "done" else 1


def _when(seconds: float | None) -> str:
    return datetime.fromtimestamp(seconds).strftime("%m-%d %H:%M") if seconds else "—"


def _jobs(args: argparse.Namespace) -> int:
    jobs = JobQueue(store_location(args)).jobs(limit=args.limit)
    if not jobs:
        print("no jobs")
        return 0
    print(f"{'id':>4}  {'state':<9}  {'progress':>8}  {'eta/took':>12}  {'submitted':<11}  name / phase / error")
    for job in jobs:
        share = f"{100 * job.fraction:.0f}%" if job.fraction is not None else "—"
        timing = format_eta(job.eta_seconds) if job.state == "running" else format_duration(job.elapsed())
        detail = job.error if job.state == "failed" else (job.phase if job.state == "running" else job.device)
        print(f"{job.job_id:>4}  {job.state:<9}  {share:>8}  {timing:>12}  {_when(job.submitted_at):<11}  "
              f"{job.name}" + (f" — {detail}" if detail else ""))
    return 0


def _cancel(args: argparse.Namespace) -> int:
    try:
        job = cancel(JobQueue(store_location(args)), args.job_id)
    except JobError as exc:
        raise UserError(str(exc)) from None
    print(f"job {job.job_id}: " + ("cancelled" if job.state == "cancelled" else "stopping (cancel requested)"))
    return 0


def _retry(args: argparse.Namespace) -> int:
    try:
        job = JobQueue(store_location(args)).retry(args.job_id)
    except JobError as exc:
        raise UserError(str(exc)) from None
    print(f"job {job.job_id} queued again")
    return 0


def _worker(args: argparse.Namespace) -> int:
    run_worker(store_location(args), once=args.once, lease=args.lease, poll=args.poll, idle_exit=args.idle_exit,
               embedded=args.embedded, cluster=args.submitit_cluster, cluster_poll=args.cluster_poll,
               say=lambda text: print(text, flush=True))
    return 0

"""Runs: launch a STILTs run, follow it, and open its results in the other pages when it lands."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
import yaml

from pages._common import get_store, results_query
from pages._view import finish_page, start_page, url_multiselect, url_radio, url_selectbox, url_toggle
from pipeline.analysis.query import EVERYTHING
from pipeline.analysis.tables import comparison_label, comparisons_in
from pipeline.errors import UserError
from pipeline.jobs import Execution, Job, JobError, JobQueue, JobSpec, cancel, ensure_worker, job_spec, submit
from pipeline.jobs.access import Access, launch_access
from pipeline.jobs.compose import compose, parse_seeds, to_yaml
from pipeline.jobs.device import describe_device
from pipeline.jobs.estimate import estimate
from pipeline.jobs.progress import format_duration, format_eta
from pipeline.jobs.results import has_results
from pipeline.jobs.slurm import partition_gpus
from pipeline.jobs.spec import saved_configs
from pipeline.models.device import select_device
from pipeline.tasks import display_name, intermediate_tasks, target_tasks

#: Seconds between refreshes of the job list (only that part of the page reruns).
REFRESH_SECONDS = 2.0
#: The saved config offered first: the one that runs in a minute on a CPU.
DEFAULT_CONFIG = "tiny-cpu.yaml"
STATE_ICONS = {"queued": "⏳", "running": "🏃", "done": "✅", "failed": "❌", "cancelled": "⛔"}


@st.cache_resource(show_spinner="Looking at this machine's devices…")
def _device() -> tuple[str, str, str]:
    choice = select_device()
    return describe_device(), choice.device, choice.precision


def _access() -> Access:
    address = st.get_option("server.address")
    access = launch_access(address, None, argv=sys.argv)
    if access.visible and not access.allowed and access.needs_token:
        token = st.sidebar.text_input("Admin token", type="password", key="admin_token",
                                      help="Launching from another machine needs the token in ATLAS_ADMIN_TOKEN.")
        access = launch_access(address, token, argv=sys.argv)
    return access


def _worker_line(queue: JobQueue, allowed: bool, waiting: bool) -> str:
    """Who serves the queue; starts the embedded worker when jobs wait and none is running."""
    workers = ensure_worker(queue.store_location) if allowed and waiting else queue.live_workers()
    if isinstance(workers, int):
        return f"started a worker (pid {workers}) for the queued jobs"
    if not workers:
        return "a worker is starting" if waiting else "no worker running (one starts when a job is submitted)"
    return "; ".join(f"worker pid {w.pid} on {w.host}" + (" (embedded)" if w.embedded else "") +
                     (f", running job {w.job_id}" if w.job_id else ", idle") for w in workers)


# -- composing ---------------------------------------------------------------------------------------

def _composed(configs: list[Path]) -> tuple[str, str]:
    """(YAML, source) of an experiment composed from the registry on top of a saved config's settings."""
    base_name = url_selectbox("Settings from", [p.name for p in configs], key="run_base", default=DEFAULT_CONFIG,
                              help="Hyperparameters, limits, data and output folders are taken from this config.")
    base = yaml.safe_load((configs[[p.name for p in configs].index(base_name)]).read_text(encoding="utf-8"))
    left, right = st.columns(2)
    model = left.text_input("Model (hub id or local directory)", value=base.get("models", [""])[0], key="run_model")
    seeds_text = right.text_input("Seeds", value="1", key="run_seeds", help="Comma-separated, e.g. 1, 2, 3")
    inter = url_multiselect("Intermediate tasks", list(intermediate_tasks()), key="run_inter",
                            format_func=display_name, placeholder="None (baseline only)")
    mixture = len(inter) > 1 and url_toggle("Train them together as one multi-task mixture", key="run_mixture")
    shared = set.intersection(*(set(intermediate_tasks()[t].extra.get("languages", ["en"])) for t in inter)) \
        if inter else {"en"}
    inter_languages = url_multiselect("Intermediate-task languages", sorted(shared), key="run_inter_langs",
                                      placeholder="en")
    left, right = st.columns(2)
    mlm = url_toggle("Multilingual MLM co-training", key="run_mlm", container=left)
    baseline = url_toggle("Include the baseline (no intermediate task)", key="run_baseline", default=True,
                          container=right)
    runnable = [t for t, task in target_tasks().items() if task.runnable and "data" in task.extra]
    targets = url_multiselect("Target tasks", runnable, key="run_targets", format_func=display_name,
                              placeholder="Choose target tasks")
    offered = sorted({lang for t in targets for lang in target_tasks()[t].languages})
    languages = url_multiselect("Target languages", offered, key="run_langs", placeholder="Each task's own list")
    raw = compose(base, f"{base.get('name', 'run')}-custom", model, inter, mixture, inter_languages, mlm, baseline,
                  targets, languages, parse_seeds(seeds_text))
    return to_yaml(raw), "composed on the Runs page"


def _execution() -> Execution:
    backend = url_radio("Run on", ["local", "slurm"], key="run_backend", horizontal=True,
                        format_func={"local": "This machine", "slurm": "SLURM cluster (submitit)"}.get)
    if backend == "local":
        return Execution()
    cols = st.columns(4)
    partition = cols[0].text_input("Partition", value="", key="run_partition", placeholder="cluster default")
    gpus = cols[1].number_input("GPUs per node", 0, 16, 1, key="run_gpus")
    cpus = cols[2].number_input("CPUs per task", 1, 256, 8, key="run_cpus")
    minutes = cols[3].number_input("Time limit (minutes)", 1, 60 * 24 * 14, 24 * 60, key="run_minutes")
    st.caption("The nodes report into the store's PostgreSQL database (see the README's 'For a team'); this "
               "checkout and the job folder must be on a file system they share.")
    if gpus and partition_gpus(partition or None) == 0:
        st.warning(f"The partition {partition or '(default)'} has no GPUs: set GPUs per node to 0.", icon="⚠️")
    return Execution(backend="slurm", partition=partition or None, gpus_per_node=gpus, cpus_per_task=cpus,
                     timeout_min=minutes)


def _plan(spec: JobSpec, device: tuple[str, str, str]) -> None:
    """What the config will run and what it roughly costs, before anything is submitted."""
    cells = pd.DataFrame([vars(cell) for cell in spec.cells])
    cells["intermediate"] = cells["intermediate"].map(display_name) + cells["mlm"].map({True: " + MLM", False: ""})
    targets = ", ".join(f"{display_name(t)} ({len(spec.config.languages_of(t))} languages)"
                        for t in spec.config.targets)
    cost = estimate(spec.config)
    description, kind, precision = device
    seconds = cost.seconds(kind, precision, os.cpu_count() or 1)
    where = "here" if spec.execution.backend == "local" else "on this machine (the cluster's GPUs will differ)"
    cols = st.columns(4)
    cols[0].metric("Runs", len(cells))
    cols[1].metric("Training phases", cost.train_phases)
    cols[2].metric("Evaluations", cost.evaluations, help="run × target task × language")
    cols[3].metric("Rough time", format_duration(seconds) if seconds is not None else "unknown",
                   help="Order of magnitude (±3×): FLOPs at a sustained rate for the device plus start-up and "
                        "per-phase overheads; errs high.")
    notes = [f"Each run trains and evaluates {targets}.",
             f"≈{cost.train_examples:,} training and {cost.eval_examples:,} evaluation examples; time {where} on "
             f"{description}."]
    if cost.model_params is None:
        notes.append("The model's size is unknown offline, so no time is given.")
    if cost.unknown:
        notes.append("Left out (size unknown): " + ", ".join(cost.unknown) + ".")
    st.caption(" ".join(notes))
    st.dataframe(cells[["model", "intermediate", "seed", "run_id"]], hide_index=True, width="stretch")


def _new_run(store_path: str, access: Access, device: tuple[str, str, str]) -> None:
    st.subheader("New run")
    configs = saved_configs()
    if not configs:
        st.warning("No saved configs found (data/configs/ or $ATLAS_CONFIG_DIR).")
        return
    mode = url_radio("Start from", ["saved", "compose"], key="run_from", horizontal=True,
                     format_func={"saved": "A saved config", "compose": "Compose from the registry"}.get)
    try:
        if mode == "saved":
            name = url_selectbox("Saved config", [p.name for p in configs], key="run_config", default=DEFAULT_CONFIG)
            path = configs[[p.name for p in configs].index(name)]
            text, source = path.read_text(encoding="utf-8"), str(path)
        else:
            text, source = _composed(configs)
        spec = job_spec(text, source, _execution())
    except (UserError, ValueError) as exc:
        st.error(f"Not runnable: {exc}", icon="🚫")
        return
    _plan(spec, device)
    with st.expander("The config that will run"):
        st.code(text, language="yaml")
    finished = next((j for j in JobQueue(store_path).find_key(spec.key) if j.state == "done"), None)
    force = False
    if finished is not None and has_results(get_store(), spec.run_ids):
        st.info(f"These runs are already done (job {finished.job_id}): their results are in every page.",
                icon="♻️")
        force = st.checkbox("Compute them again anyway", key="run_force")
    if st.button("Submit", type="primary", key="run_submit", disabled=not access.allowed,
                 help=None if access.allowed else access.reason):
        outcome = submit(store_path, text, source, spec.execution, force=force)
        ensure_worker(store_path)
        job = outcome.job
        message = (f"Job {job.job_id} queued." if outcome.created else
                   f"Job {job.job_id} already {'computed' if job.state == 'done' else job.state} these runs.")
        st.toast(message, icon="🚀")
        st.session_state["run_notice"] = message
    if "run_notice" in st.session_state:
        st.success(st.session_state["run_notice"])


# -- following -----------------------------------------------------------------------------------------

@st.cache_data(max_entries=4, show_spinner=False)
def _grid_of(run_ids: tuple[str, ...], data_version: int) -> dict[str, str] | None:
    """The Overview grid and Languages selection that show a finished job's rows."""
    query = results_query()
    keys = ("source_id", "model", "split", "setting")
    of_job = EVERYTHING.keeping(run_id=run_ids)
    rows = query.rows(of_job, [*keys, "target_task"], limit=1)
    if rows.empty:
        return None
    first = rows.iloc[0]
    grids = comparisons_in(query)
    match = grids[(grids[list(keys)] == [first[k] for k in keys]).all(axis=1)]
    return {"grid": comparison_label(match.iloc[0]), "model": first["model"], "task": first["target_task"],
            "artifacts": "1" if query.count(of_job.keeping(test_artifact=[True])) else "0"}


def _links(job: Job) -> None:
    found = _grid_of(job.run_ids, get_store().data_version())
    if found is None:
        st.caption("No rows of this job in the store (it may have been reset).")
        return
    left, right = st.columns(2)
    left.link_button("Open in Overview", "./?" + urlencode({"grid": found["grid"], "artifacts": found["artifacts"]}), icon="📊")
    right.link_button("Open in Languages", "./languages?" + urlencode(
        {"model": found["model"], "task": found["task"], "compare": "intermediate", "artifacts": found["artifacts"]}),
        icon="🌍")


def _job_card(queue: JobQueue, job: Job, allowed: bool) -> None:
    with st.container(border=True, key=f"job_{job.job_id}"):
        attempt = f" · attempt {job.attempts}" if job.attempts > 1 else ""
        where = f" · {job.device}" if job.device else ""
        st.markdown(f"{STATE_ICONS[job.state]} **Job {job.job_id}** · {job.name} · {job.state}{attempt}{where}")
        if job.state == "running":
            eta = f" · ETA {format_eta(job.eta_seconds)}"
            st.progress(job.fraction or 0.0, text=f"{job.phase or 'starting'} · {job.step or 0}/{job.total} task "
                                                  f"batches stored{eta}")
        elif job.state == "done":
            st.caption(f"{job.n_rows} result rows · took {format_duration(job.elapsed())}")
            _links(job)
        elif job.state == "failed":
            st.error(job.error or "failed", icon="❌")
        if job.log_tail and job.state != "queued":
            with st.expander("Log"):
                st.code(job.log_tail, language=None)
        if not allowed:
            return
        if job.is_active:
            st.button("Cancel", key=f"cancel_{job.job_id}", on_click=_act,
                      args=(lambda: cancel(queue, job.job_id), f"Job {job.job_id}: cancel requested"))
        if job.state in ("failed", "cancelled"):
            st.button("Retry", key=f"retry_{job.job_id}", help="Finished phases are reused.", on_click=_act,
                      args=(lambda: queue.retry(job.job_id), f"Job {job.job_id} queued again"))


def _act(action: Callable[[], object], message: str) -> None:
    """A cancel/retry button's callback: it runs before the job list is drawn again, which then shows it."""
    try:
        action()
    except JobError as exc:
        st.toast(str(exc), icon="⚠️")
        return
    st.toast(message)


@st.fragment(run_every=REFRESH_SECONDS)
def _jobs(store_path: str, allowed: bool) -> None:
    queue = JobQueue(store_path)
    queue.recover_lost()
    jobs = queue.jobs(limit=20)
    st.subheader("Jobs")
    st.caption(_worker_line(queue, allowed, any(job.state == "queued" for job in jobs)))
    if not jobs:
        st.info("No jobs yet. Submit one above; it runs in the background and its results appear in every page.")
        return
    seen = st.session_state.setdefault("job_states", {})
    for job in jobs:
        if seen.get(job.job_id) in ("queued", "running") and job.state == "done":
            st.toast(f"Job {job.job_id} finished: {job.n_rows} rows are in every page.", icon="✅")
        seen[job.job_id] = job.state
        _job_card(queue, job, allowed)


start_page("Runs", "Launch a run of the STILTs pipeline on this machine (its GPU when it has one) or a SLURM "
                   "cluster, follow its progress, and open its results in the other pages when it lands.")
store = get_store()
device = _device()
access = _access()
st.info(f"Runs execute on **{device[0]}**", icon="🖥️")
if access.visible:
    if not access.allowed:
        st.warning(f"Launching, cancelling and retrying are off: {access.reason}.", icon="🔒")
    _new_run(store.location, access, device)
_jobs(store.location, access.allowed)
finish_page([])

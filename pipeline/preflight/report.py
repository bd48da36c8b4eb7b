"""Run every preflight check of a config and print one table: ok / fail / skip, with the reason and the fix,
the disk the downloads need, and whether the hub was asked."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.preflight.bucc import check_bucc_files
from pipeline.preflight.hub import Hub, HubUnavailable
from pipeline.preflight.local import check_local, missing_fix
from pipeline.preflight.models import check_local_model
from pipeline.preflight.needs import DataNeed, data_needs, official_bucc_tasks
from pipeline.preflight.result import Check
from pipeline.run.config import RunConfig


@dataclass(frozen=True)
class Row:
    """A check with what it was for (task, role, language; empty for models)."""

    check: Check
    task: str = ""
    role: str = ""
    language: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    hub: str = "asked"  # or why it was not
    download_bytes: int = 0

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.check.status == "fail"]

    def summary(self) -> str:
        """One line: how many checks fail, how much the run downloads, and where the hub stood."""
        counts = {s: sum(r.check.status == s for r in self.rows) for s in ("ok", "fail", "skip")}
        hub = "hub: asked" if self.hub == "asked" else f"hub not asked: {self.hub}"
        disk = f"downloads ~{self.download_bytes / 2**30:.2f} GiB (hub datasets and models, cached under HF_HOME)"
        return f"{counts['ok']} ok, {counts['fail']} failing, {counts['skip']} skipped; {disk}; {hub}"

    def table(self) -> str:
        """The checks as an aligned text table, failures first."""
        order = {"fail": 0, "skip": 1, "ok": 2}
        rows = sorted(self.rows, key=lambda r: order[r.check.status])
        cells = [("status", "task", "role", "lang", "source", "reason / fix")] + [
            (r.check.status.upper() if r.check.status == "fail" else r.check.status, r.task, r.role, r.language,
             r.check.what, " -> fix: ".join(t for t in (r.check.reason, r.check.fix if r.check.status == "fail"
                                                         else "") if t)) for r in rows]
        widths = [max(len(c[i]) for c in cells) for i in range(5)]
        return "\n".join("  ".join(c[i].ljust(widths[i]) for i in range(5)) + "  " + c[5] for c in cells)


def _data_check(need: DataNeed, hub: Hub) -> Check:
    if need.source is None:
        return Check("skip", f"{need.task} {need.language}", need.note)
    what = need.source.describe() + (" (streamed)" if need.streamed else "")
    if need.data_root is not None:
        local = check_local(need)
        if local is not None:
            return local
    if need.source.local_only:
        where = f"no {need.data_root} mirror file" if need.data_root else "no local mirror given (data_dirs)"
        reason = "; ".join(t for t in (need.note or "not on the hub in a form datasets can load", where) if t)
        return Check("fail", what, reason, missing_fix(need))
    try:
        return hub.check_data(need, what, missing_fix(need))
    except HubUnavailable as exc:
        return Check("fail", what, f"needs the hub, which is {exc}", missing_fix(need), needs_hub=True)


def run_preflight(config: RunConfig, hub: Hub | None = None) -> Report:
    """Check every model and split of ``config`` (the hub's metadata and first rows, or the local mirrors) and
    the official BUCC 2018 files it mines."""
    hub = hub or Hub()
    report = Report()
    for model_id in config.models:
        check = check_local_model(model_id) or hub.check_model(model_id)
        report.rows.append(Row(check))
        report.download_bytes += check.download_bytes or 0
    for need in data_needs(config):
        check = _data_check(need, hub)
        if need.note and check.status == "ok":
            check = Check("ok", check.what, "; ".join(t for t in (check.reason, need.note) if t))
        report.rows.append(Row(check, need.task, need.role, need.language))
    root = config.retrieval.bucc_dir
    for task_id in official_bucc_tasks(config):
        report.rows += [Row(check_bucc_files(root, task_id, lang), task_id, "eval test (official files)", lang)
                        for lang in config.languages_of(task_id)]
    report.download_bytes += sum(hub.downloads.values())
    report.hub = hub.unavailable or "asked"
    return report

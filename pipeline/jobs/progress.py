"""Reading a run's log: the live phase (the runner's progress bars), a readable tail, ETAs and failures.

``python -m pipeline run`` draws tqdm bars on stderr ("target xnli seed 1:  50%|█████     | 4/8 …"),
redrawn with carriage returns. These pure functions turn that stream into what the Runs page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.run.config import RunConfig

_BAR = re.compile(r"^(?P<desc>.*?):\s+(?P<pct>\d+)%\|[^|]*\|\s*(?P<n>\d+)/(?P<total>\d+)")
_TAIL_BYTES = 32_768


@dataclass(frozen=True)
class Bar:
    """The state of one progress bar."""

    desc: str
    n: int
    total: int

    @property
    def fraction(self) -> float:
        return self.n / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.desc} ({self.n}/{self.total})"


def read_tail(path: Path, max_bytes: int = _TAIL_BYTES) -> str:
    """The last ``max_bytes`` of a log file ('' if it does not exist yet)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - max_bytes))
            return fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def parse_bar(line: str) -> Bar | None:
    match = _BAR.match(line.strip())
    if match is None:
        return None
    return Bar(match["desc"].strip(), int(match["n"]), int(match["total"]))


def log_lines(text: str) -> list[str]:
    """Lines of a log as a person would read them: each progress bar only in its latest state."""
    lines: list[str] = []
    for segment in re.split(r"[\r\n]+", text):
        segment = segment.rstrip()
        if not segment.strip():
            continue
        bar = parse_bar(segment)
        previous = parse_bar(lines[-1]) if lines else None
        if bar is not None and previous is not None and previous.desc == bar.desc:
            lines[-1] = segment.strip()
        else:
            lines.append(segment.strip() if bar is not None else segment)
    return lines


def tail(text: str, n_lines: int = 15) -> str:
    return "\n".join(log_lines(text)[-n_lines:])


def current_bar(text: str) -> Bar | None:
    """The progress bar drawn last (the phase the run is in)."""
    for line in reversed(log_lines(text)):
        bar = parse_bar(line)
        if bar is not None:
            return bar
    return None


def overall_fraction(batches_done: int, total: int, bar: Bar | None) -> float:
    """Share of the job done: finished (cell, task) batches plus the current phase's share of the next one."""
    if total <= 0:
        return 0.0
    partial = bar.fraction if bar is not None and batches_done < total else 0.0
    return min(1.0, (batches_done + partial) / total)


#: An ETA needs this much progress and time since the first progress seen: before that, start-up
#: (imports, loading the model and data) would be extrapolated over the whole run.
MIN_PROGRESS = 0.05
MIN_SECONDS = 5.0


@dataclass
class RateEstimator:
    """Remaining time at the rate measured since the first progress was seen (not since the start)."""

    origin: tuple[float, float] | None = None  # (time, fraction) of the first observation with progress

    def eta_seconds(self, now: float, fraction: float) -> float | None:
        """Seconds left, or None while there is no rate yet ("estimating…")."""
        if fraction >= 1:
            return None
        if self.origin is None:
            if fraction > 0:
                self.origin = (now, fraction)
            return None
        started, first = self.origin
        progress, seconds = fraction - first, now - started
        if progress < MIN_PROGRESS or seconds < MIN_SECONDS:
            return None
        return seconds * (1 - fraction) / progress


def format_eta(seconds: float | None) -> str:
    """What a running job's ETA reads: a duration once there is a rate, "estimating…" before."""
    return "estimating…" if seconds is None else format_duration(seconds)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _batch_sizes(config: RunConfig) -> str:
    h = config.hyperparameters
    per_target = {t: s.batch_size for t, s in config.targets.items() if s.batch_size}
    target = h.target.batch_size or "the registry's per task"
    overrides = "".join(f", {t} {b}" for t, b in per_target.items())
    return (f"intermediate batch size {h.intermediate.batch_size or 'the registry default'}, target batch size "
            f"{target}{overrides}, evaluation batch size {config.eval_batch_size}")


def explain_failure(log_text: str, returncode: int, config: RunConfig | None) -> str:
    """One paragraph on why a run failed: out of memory with the batch sizes in play, a user error of the
    pipeline's CLI, or the last line of a traceback."""
    lines = log_lines(log_text)
    lowered = log_text.lower()
    if "out of memory" in lowered or "outofmemoryerror" in lowered:
        bar = current_bar(log_text)
        where = f" during {bar.desc}" if bar is not None else ""
        settings = f" The config asks for {_batch_sizes(config)}." if config is not None else ""
        halved = [line for line in lines if line.startswith("out of memory:")]
        backoff = f" The trainer had already halved the micro-batch ({halved[-1]})." if halved else ""
        return (f"Out of memory{where}.{settings}{backoff} Lower the batch size that failed "
                "(gradient accumulation keeps the effective batch), or run on a larger GPU.")
    for line in reversed(lines):
        if line.startswith("error: "):
            return line.removeprefix("error: ")
    for line in reversed(lines):
        if re.match(r"^[\w.]+(Error|Exception|Interrupt)\b", line):
            return line
    if returncode < 0:
        return f"the run was killed by signal {-returncode}"
    return f"the run exited with status {returncode}" + (f": {lines[-1]}" if lines else "")

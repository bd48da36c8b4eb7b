"""Preflight: check, before any training, that everything a run config reads can be read (``run_preflight``)."""

from pipeline.preflight.report import Report, run_preflight

__all__ = ["Report", "run_preflight"]

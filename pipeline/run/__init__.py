"""Experiment configs and the runner that turns one into result rows."""

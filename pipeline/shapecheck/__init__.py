"""Real-shape dry runs: every training phase of a config at its real sizes, on random weights (``shape-check``)."""

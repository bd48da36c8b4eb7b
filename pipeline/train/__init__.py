"""Training: dynamic batches, multi-task sampling and the optimisation loop shared by every phase."""

"""Reading a task's data: registry entry -> sources (spec) -> canonical datasets (load) -> features (preprocess)."""

"""Pure planning rules: demand and plan models, the optimiser, the baselines, profile translation."""

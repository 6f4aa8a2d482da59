"""``make bench``: benchmarks printed as tables, each with a baseline measured in the same run."""

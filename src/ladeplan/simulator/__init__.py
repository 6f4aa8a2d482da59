"""Simulated charge points built on the ``ocpp`` package's client side, for the demo site, tests and benchmarks."""

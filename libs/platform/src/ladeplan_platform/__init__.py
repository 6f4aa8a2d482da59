"""Plumbing every ladeplan service does the same way: settings, logs, traces, database, bus, outbox.

Kept apart from ``ladeplan_contracts`` (which holds only what travels on the bus) so that services
share behaviour without sharing each other's code; see docs/architecture.md, "Shared code".
"""

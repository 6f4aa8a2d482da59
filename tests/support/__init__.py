"""Helpers every test layer shares: reading events off the real bus, and polling for asynchronous effects."""

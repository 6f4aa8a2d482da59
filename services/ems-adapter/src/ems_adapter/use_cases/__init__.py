"""Use cases: one database transaction each; bus and HTTP handlers call these."""

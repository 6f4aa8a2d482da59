"""Apply every service's migrations (each to its own schema, with its own version table)."""

from __future__ import annotations

from ladeplan_platform.migrations import MigrationSet, upgrade


def migration_sets() -> list[MigrationSet]:
    import ems_adapter.config
    import masterdata.config
    import ocpp_gateway.config
    import receipts.config
    import session_manager.config

    return [
        masterdata.config.MIGRATIONS,
        session_manager.config.MIGRATIONS,
        ocpp_gateway.config.MIGRATIONS,
        receipts.config.MIGRATIONS,
        ems_adapter.config.MIGRATIONS,
    ]


def migrate_all(database_url: str) -> list[str]:
    """Upgrade every schema to head; returns the schemas migrated, in order."""
    done = []
    for migrations in migration_sets():
        upgrade(migrations, database_url)
        done.append(migrations.schema)
    return done

"""Alembic migrations, run programmatically by storage.db.migrate."""

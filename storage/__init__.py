"""Persistence: SQLAlchemy models, Alembic migrations and repositories. Never imports telegram."""

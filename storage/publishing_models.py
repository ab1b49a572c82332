"""ORM models: publishing_models (see the matching migration)."""

from __future__ import annotations

"""ORM models: receipts_models (see the matching migration)."""

from __future__ import annotations

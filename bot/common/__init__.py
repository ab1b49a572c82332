"""Shared pieces below the features: Telegram error mapping, typed context, replies, guards, adapters."""

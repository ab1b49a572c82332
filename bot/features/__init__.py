"""The bot's features; each registers its own handlers (an Extension) and imports no other feature."""

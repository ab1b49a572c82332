"""Use cases run outside a chat update: importing bulletins, scheduled pushes. Imports storage, never bot/."""

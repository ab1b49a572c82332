"""The bulletin domain: the issue model, the document parser and the chat rendering (pure, no I/O)."""

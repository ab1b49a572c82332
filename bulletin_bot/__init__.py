"""Application shell: configuration, the command line and the offline sandbox."""

"""Scripts that measure Reading Room (run from the project root)."""

"""One-off operations on a deployed stack's tables (docs/deploying.md)."""

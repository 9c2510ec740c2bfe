"""The Lambda edge: HTTP events in, HTTP responses out. Business rules live in `domain`."""

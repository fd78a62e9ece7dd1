"""One file per schema revision, applied in order (see channels/schema.py)."""

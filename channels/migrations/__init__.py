"""Alembic migrations of the web app's database (see channels/schema.py)."""

"""Passerelle Santé: shared core (settings, language, text normalisation, messages, triage, CLI)."""

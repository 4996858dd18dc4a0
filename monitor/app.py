"""Composition root (being built)."""

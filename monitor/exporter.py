"""exporter (being built)."""

"""The configuration layer: the one pydantic-settings model, its sources and the credential masking they need."""

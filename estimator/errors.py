"""Error types of the estimator. Every error names the field, the offending value and the fix."""

from __future__ import annotations


class EstimatorError(ValueError):
    """Base class for every error the estimator raises on bad input."""

    def __init__(self, field: str, value: object, fix: str) -> None:
        self.field = field
        self.value = value
        self.fix = fix
        super().__init__(f"{field}={value!r}: {fix}")


class UnknownModelError(EstimatorError):
    """A preset name that is not in the catalog; `fix` lists the closest presets."""


class UnknownGPUError(EstimatorError):
    """A GPU id that is not in the catalog; `fix` lists the closest ids."""


class InvalidConfigError(EstimatorError):
    """A model config that is inconsistent (e.g. heads not dividing hidden size)."""


class InvalidRunError(EstimatorError):
    """A training-run setting that is inconsistent (e.g. tensor parallel not dividing heads)."""

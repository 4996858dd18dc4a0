"""Unit tests of the estimator."""

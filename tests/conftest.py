"""Fixtures shared by every suite. Area-specific fixtures live in tests/fixtures and are registered here."""

pytest_plugins = [
    "tests.fixtures.moto_server",
    "tests.fixtures.apiserver",
    "tests.fixtures.receivers",
    "tests.fixtures.postgres",
    "tests.fixtures.dcgm_exporter",
]

import pytest  # noqa: E402  (after pytest_plugins, which must come first for readers of this file)
from hypothesis import HealthCheck, settings  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """Property tests check properties, not speed: no per-example deadline and no 'too slow' health check, which
    fail on a loaded CI machine while the property holds (speed is measured by `python -m benchmarks`)."""
    settings.register_profile("trainspend", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("trainspend")


# What makes a test `integration` (pyproject.toml: "talks to real local servers"): living in a suite of real parts, or
# using a fixture that starts one. Marked here once, so `-m "not integration"` is the fast suite without every file
# remembering a `pytestmark`.
_INTEGRATION_DIRS = ("integration", "e2e")
_SERVER_FIXTURES = frozenset(
    {"postgres_server", "postgres_url", "moto_server", "moto_url", "apiserver", "receiver", "server", "dcgm_exporter"}
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        suite = (
            item.path.relative_to(config.rootpath / "tests").parts[0]
            if item.path.is_relative_to(config.rootpath / "tests")
            else ""
        )
        # The contract suite asks for PostgreSQL through its `postgresql` parameter (request.getfixturevalue).
        params = getattr(getattr(item, "callspec", None), "params", {})
        uses_server = bool(_SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))) or "postgresql" in params.values()
        if suite in _INTEGRATION_DIRS or uses_server:
            item.add_marker(pytest.mark.integration)

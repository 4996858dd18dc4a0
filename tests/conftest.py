"""Fixtures shared by every suite. Area-specific fixtures live in tests/fixtures and are registered here."""

pytest_plugins = [
    "tests.fixtures.moto_server",
    "tests.fixtures.apiserver",
    "tests.fixtures.receivers",
    "tests.fixtures.postgres",
]

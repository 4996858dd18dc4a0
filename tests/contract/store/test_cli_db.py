"""`trainspend db upgrade` / `db current` against both databases."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from monitor.adapters.store.migrate import current_revision, head_revision
from monitor.cli import db


def _app() -> typer.Typer:
    app = typer.Typer()
    db.register(app)
    return app


def test_upgrade_creates_the_schema_and_reports_a_second_run_as_a_no_op(db_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(_app(), ["db", "upgrade", "--url", db_url])
    assert first.exit_code == 0, first.output
    assert f"upgraded from empty to revision {head_revision()}" in first.output
    assert current_revision(db_url) == head_revision()
    second = runner.invoke(_app(), ["db", "upgrade", "--url", db_url])
    assert second.exit_code == 0, second.output
    assert "already at revision" in second.output
    current = runner.invoke(_app(), ["db", "current", "--url", db_url])
    assert current.exit_code == 0, current.output
    assert f"revision {head_revision()} (head)" in current.output


def test_current_on_an_empty_database_says_to_upgrade(db_url: str) -> None:
    result = CliRunner().invoke(_app(), ["db", "current", "--url", db_url])
    assert result.exit_code == 0, result.output
    assert "none (empty database)" in result.output
    assert "trainspend db upgrade" in result.output


def test_unsupported_url_fails_without_showing_the_password() -> None:
    result = CliRunner().invoke(_app(), ["db", "upgrade", "--url", "mysql://admin:hunter2@db/trainspend"])
    assert result.exit_code == 1
    assert "only sqlite" in result.output
    assert "hunter2" not in result.output

"""Every command README.md and docs/planning.md show is run, and what it prints keeps the documented shape.

- Each `$ trainspend …` example (README and docs/planning.md) prints, at the docs' width, the documented output with
  only numbers changed: words compared with every number masked (`scripts/render_docs.py`, which regenerates them).
- Each `trainspend …` line of README's command blocks and each command in its planning table exits 0, prints
  something and no traceback; each excerpt (README's of `estimate`) is lines of what its command prints.
- Each subcommand README names in prose exists (`--help` exits 0), and the store commands it names (`db upgrade`,
  `report`, `check-config`) run against a fresh SQLite file.
- An example that enables CloudWatch (README's `alarms sync --dry-run`) runs against a moto server on 127.0.0.1.

The README commands that are not `trainspend …` (helm, make, docker, benchmarks) are test_documented_tooling.py's.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.main import build_app
from scripts.render_docs import DOCS, EXCERPT_WIDTH, ROOT, Example, examples, excerpt_lines, excerpts, run, shape

README = ROOT / "README.md"
# The README's placeholder for "any Hugging Face config.json": a real one from the test data.
CONFIG = ROOT / "tests" / "data" / "hf-configs" / "llama-2-7b.json"


def _examples() -> list[Example]:
    return [example for path in DOCS for example in examples(path)]


def _check_shape(example: Example, code: int, out: str) -> None:
    assert code == 0, out
    assert shape(out) == shape(example.output), (
        f"`{example.command}` now prints something else than {example.path.name} shows: "
        "run `python scripts/render_docs.py` and review the diff"
    )


@pytest.mark.parametrize(
    "example", [e for e in _examples() if not e.needs_cloudwatch], ids=lambda e: f"{e.path.name}:{e.args[:6]}"
)
def test_each_example_prints_the_documented_shape(example: Example) -> None:
    _check_shape(example, *run(example.args, env=example.env))


@pytest.mark.parametrize(
    "example", [e for e in _examples() if e.needs_cloudwatch], ids=lambda e: f"{e.path.name}:{e.args[:6]}"
)
def test_each_cloudwatch_example_prints_the_documented_shape_against_moto(example: Example, moto_url: str) -> None:
    # README's `alarms sync --dry-run`, with its own settings, against a fresh moto server on 127.0.0.1 (boto3 over
    # real HTTP; credentials are moto's placeholders): no alarm exists yet, so each budget threshold is a `create`.
    _check_shape(example, *run(example.args, env={**example.env, "TRAINSPEND_CLOUDWATCH__ENDPOINT_URL": moto_url}))


def test_the_readme_shows_an_alarms_sync_example() -> None:
    found = [e for e in examples(README) if e.args[:2] == ["alarms", "sync"]]
    assert found
    assert all(e.needs_cloudwatch for e in found)


def _readme_commands() -> list[str]:
    """The `trainspend` commands of README's ```bash blocks (`;`-separated, `# comments` dropped) and planning table."""
    text = README.read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```$", text, re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            for part in line.split("#", 1)[0].split(";"):
                words = part.strip().split()
                if words and words[0].endswith("trainspend"):
                    commands.append(" ".join(["trainspend", *words[1:]]))
    commands += re.findall(r"^\| [^|]+ \| `(trainspend [^`]+)` \|", text, re.MULTILINE)
    return commands


def _args(command: str) -> list[str]:
    args = shlex.split(command.replace("path/to/config.json", str(CONFIG)))[1:]
    return [a for a in args if not (a.startswith("[") and a.endswith("]"))]  # [--live] is optional: the offline form


def test_the_readme_shows_the_commands_this_test_runs() -> None:
    commands = _readme_commands()
    subcommands = {shlex.split(c)[1] for c in commands}
    assert {"estimate", "plan", "prices", "serve-plan", "buy-or-rent", "budget-tiers", "models", "gpus"} <= subcommands
    assert len(commands) >= 13


@pytest.mark.parametrize("command", _readme_commands())
def test_each_readme_command_runs(command: str) -> None:
    result = CliRunner().invoke(build_app(), _args(command), env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    assert "Traceback" not in result.output


def test_each_excerpt_is_lines_of_what_its_command_prints() -> None:
    found = [(path, excerpt) for path in DOCS for excerpt in excerpts(path)]
    assert any(e.command.startswith("trainspend estimate --model llama-3-8b") for _, e in found)  # README's
    for path, excerpt in found:
        assert excerpt.command in _readme_commands() or path != README  # it excerpts a command the reader sees
        out = run(shlex.split(excerpt.command)[1:], EXCERPT_WIDTH)[1]
        assert excerpt_lines(excerpt, out) is not None, (
            f"an excerpt of `{excerpt.command}` in {path.name} shows a line the command no longer prints"
        )


def test_each_subcommand_named_in_the_readme_exists() -> None:
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"`trainspend ([a-z][a-z-]+)", text))
    assert {"report", "check-config", "db", "alarms", "demo"} <= named
    for name in sorted(named):
        result = CliRunner().invoke(build_app(), [name, "--help"])
        assert result.exit_code == 0, (name, result.output)


def test_the_store_commands_the_readme_names_run_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    env = {"TRAINSPEND_STORE__URL": f"sqlite:///{tmp_path / 'store.db'}", "COLUMNS": "120"}
    upgrade = CliRunner().invoke(build_app(), ["db", "upgrade"], env=env)
    assert upgrade.exit_code == 0, upgrade.output
    for group_by in ("namespace", "team", "queue", "job"):
        for fmt in ("csv", "json", "focus"):
            args = ["report", "--since", "2026-11-01", "--until", "2026-12-01", "--group-by", group_by, "--format", fmt]
            report = CliRunner().invoke(build_app(), args, env=env)
            assert report.exit_code == 0, report.output
    check = CliRunner().invoke(build_app(), ["check-config"], env=env)
    assert check.exit_code == 0, check.output
    assert "store" in check.stdout


def test_no_help_text_or_source_says_where_the_project_came_from() -> None:
    # Issue 15: help texts said "The seed's …" and price sources "docs corpus"; users read neither as meaningful.
    app_help = [CliRunner().invoke(build_app(), [*command, "--help"]).stdout for command in _all_commands()]
    sources = (ROOT / "estimator").rglob("*.py"), (ROOT / "estimator" / "catalog" / "data").glob("*.json")
    texts = [*app_help, *(p.read_text(encoding="utf-8") for group in sources for p in group)]
    for text in texts:
        assert not re.search(r"\bseed\b(?:'s| document)|docs corpus", text, re.IGNORECASE), text[:200]


def _all_commands() -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(build_app())
    found: list[list[str]] = [[]]
    for name, command in getattr(group, "commands", {}).items():
        found.append([name])
        found += [[name, sub] for sub in getattr(command, "commands", {})]
    return found

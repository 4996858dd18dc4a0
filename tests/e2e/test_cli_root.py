"""The root of the console script: --version from the installed metadata, -h as --help on every command."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from monitor.cli.main import build_app


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(build_app(), ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"trainspend {version('trainspend')}\n"


def test_dash_h_is_help_at_the_root_and_on_a_command() -> None:
    for args in (["-h"], ["plan", "-h"], ["models", "-h"]):
        result = CliRunner().invoke(build_app(), args, env={"COLUMNS": "120"})
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.stdout


def test_help_texts_and_price_sources_carry_no_internal_wording() -> None:
    from estimator.catalog.local import local_machines
    from estimator.catalog.offers import embedded_offers

    app = build_app()
    commands = ["estimate", "plan", "prices", "serve-plan", "buy-or-rent", "budget-tiers", "models", "gpus"]
    texts = [CliRunner().invoke(app, [c, "--help"], env={"COLUMNS": "200"}).stdout for c in commands]
    texts += [o.source for o in embedded_offers()]
    texts += [m.purchase_source for m in local_machines()]
    for text in texts:
        assert "corpus" not in text.lower()
        assert "the seed" not in text.lower()


def test_shell_completion_completes_commands_and_choices() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "trainspend"

    def complete(words: str, index: int) -> list[str]:
        env = {**os.environ, "_TRAINSPEND_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(index)}
        done = subprocess.run([str(script)], capture_output=True, text=True, env=env, timeout=60, check=True)
        return done.stdout.split()

    assert complete("trainspend pl", 1) == ["plan"]
    assert complete("trainspend report --group-by ", 3) == ["namespace", "team", "queue", "job"]
    # With shellingham installed typer detects the shell from the process tree (under make/CI it may find none);
    # typer's own switch makes `--show-completion SHELL` take the shell named, as a user's explicit choice.
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    shown = subprocess.run(
        [str(script), "--show-completion", "bash"], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    assert "_trainspend_completion" in shown.stdout


def test_usage_errors_are_one_line_on_a_pipe_with_exit_2() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "trainspend"
    cases = {
        ("estimate", "--model", "llama-3-8b", "--tokens", "1e9", "--gpus", "abc"): "Invalid value for '--gpus'",
        ("estimat",): "Did you mean 'estimate'?",
        ("estimate", "--bogus"): "No such option: --bogus",
        ("prices", "--capacity-type", "monthly"): "use on-demand, spot or reserved",
    }
    for args, says in cases.items():
        done = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1, (args, done.stderr)  # no box, no usage block: one line a log keeps whole
        assert lines[0].startswith("error: ")
        assert says in lines[0]
        assert "-h`" in lines[0]  # where the help is
    done = subprocess.run([str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "Usage:" in done.stdout + done.stderr  # no arguments: the help, as before

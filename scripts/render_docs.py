"""Re-runs every `$ trainspend …` example in README.md and docs/ and writes what the command prints under it.

Run after changing what a command prints: `python scripts/render_docs.py` (or `--check`, which only reports the
examples whose output no longer has the documented shape). `tests/e2e/test_documented_commands.py` fails when an
example's shape (its lines with every number masked) differs from what the command prints now, so the docs cannot
silently drift from the code. Examples are rendered at 150 columns, the width the docs were written at (the
tables of serve-plan and buy-or-rent need it to keep one line per row).
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DOCS = (ROOT / "README.md", ROOT / "docs" / "planning.md")
WIDTH = 150
_FENCE = re.compile(r"^```[a-z]*\n(\$ trainspend .*?)^```$", re.MULTILINE | re.DOTALL)
_NUMBER = re.compile(r"\d[\d,.]*")
_BOX = re.compile(r"[─━═│┃┏┓┗┛┡┩┠┨┳┻╇╈┼┬┴├┤└┘┌┐╭╮╰╯]+")


@dataclass(frozen=True)
class Example:
    path: Path
    start: int  # offset of the block's text (after the opening fence) in the file
    end: int
    command: str  # as written after "$ ", continuation lines joined
    output: str  # the documented output

    @property
    def args(self) -> list[str]:
        return shlex.split(self.command)[1:]  # without the leading `trainspend`


def examples(path: Path) -> list[Example]:
    """The fenced blocks of `path` that open with `$ trainspend …` (a trailing backslash continues the command)."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        lines = match.group(1).splitlines()
        command = lines[0].removeprefix("$ ")
        rest = 1
        while command.endswith("\\"):
            command = command[:-1].rstrip() + " " + lines[rest].strip()
            rest += 1
        found.append(Example(path, match.start(1), match.end(1), command, "\n".join(lines[rest:])))
    return found


def shape(output: str) -> list[str]:
    """An output's words with every number masked, sorted, box-drawing left out: what stays when prices, dates,
    column widths and the places where text wraps move, and changes when a row, a column, a label or a note does."""
    words = _NUMBER.sub("#", output).split()
    return sorted(word for word in words if not _BOX.fullmatch(word))


def run(args: list[str]) -> tuple[int, str]:
    """Exit status and stdout of `trainspend ARGS` at the docs' width (in process, through the real Typer app)."""
    from typer.testing import CliRunner

    from monitor.cli.main import build_app

    result = CliRunner().invoke(build_app(), args, env={"COLUMNS": str(WIDTH), "NO_COLOR": "1"})
    return result.exit_code, result.stdout


def render(path: Path) -> bool:
    """Rewrites each example's output in `path`; True when something changed."""
    text = path.read_text(encoding="utf-8")
    for example in reversed(examples(path)):
        code, out = run(example.args)
        if code != 0:
            raise SystemExit(f"{path.name}: `{example.command}` exited {code}:\n{out}")
        head = text[example.start : example.end].split("\n")
        command_lines = head[: len(head) - len(example.output.splitlines()) - 1]
        body = "\n".join(line.rstrip() for line in out.rstrip("\n").splitlines())
        text = text[: example.start] + "\n".join(command_lines) + "\n" + body + "\n" + text[example.end :]
    changed = text != path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = [e for path in DOCS for e in examples(path) if shape(run(e.args)[1]) != shape(e.output)]
        for example in stale:
            print(f"{example.path.relative_to(ROOT)}: the output of `{example.command}` changed shape")
        return 1 if stale else 0
    for path in DOCS:
        if render(path):
            print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

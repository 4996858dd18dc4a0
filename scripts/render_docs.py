"""Re-runs every `$ trainspend …` example in README.md and docs/ and writes what the command prints under it.

Run after changing what a command prints: `python scripts/render_docs.py` (or `--check`, which only reports the
examples whose output no longer has the documented shape). `tests/e2e/test_documented_commands.py` fails when an
example's shape (its lines with every number masked) differs from what the command prints now, so the docs cannot
silently drift from the code. Examples are rendered at 80 columns, a terminal's default and what the tables are laid
out for (a long offer name folds onto a second line; figures never do).
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DOCS = (ROOT / "README.md", ROOT / "docs" / "planning.md")
WIDTH = 80
# A block opening with `$ trainspend …`, or with environment assignments before it (`$ NAME=value trainspend …`).
_FENCE = re.compile(
    r"^```[a-z]*\n(\$ (?:[A-Z][A-Z0-9_]*=\S+ (?:\\\n\s*)?)*trainspend .*?)^```$", re.MULTILINE | re.DOTALL
)
_ASSIGNMENT = re.compile(r"^[A-Z][A-Z0-9_]*=")
_NUMBER = re.compile(r"\d[\d,.]*")
# `<!-- excerpt of `trainspend …` -->` before a fenced block: the block holds some lines of what the command prints
# (at EXCERPT_WIDTH columns); a line ending in "..." is cut short after its last `;`.
_EXCERPT = re.compile(r"^<!-- excerpt of `(trainspend [^`]+)` -->\n```\n(.*?)^```$", re.MULTILINE | re.DOTALL)
EXCERPT_WIDTH = 120
_SPACES = re.compile(r"[\s─━│┃┏┓┗┛┡┩┳╇]+")
_BOX = re.compile(r"[─━═│┃┏┓┗┛┡┩┠┨┳┻╇╈┼┬┴├┤└┘┌┐╭╮╰╯]+")


@dataclass(frozen=True)
class Example:
    path: Path
    start: int  # offset of the block's text (after the opening fence) in the file
    end: int
    command: str  # as written after "$ ", continuation lines joined
    output: str  # the documented output

    @property
    def env(self) -> dict[str, str]:
        """The `NAME=value` assignments before `trainspend`, as the shell would set them for the command."""
        words = shlex.split(self.command)
        return dict(w.split("=", 1) for w in words[: _leading_assignments(words)])

    @property
    def args(self) -> list[str]:
        words = shlex.split(self.command)
        return words[_leading_assignments(words) + 1 :]  # without the assignments and the leading `trainspend`

    @property
    def needs_cloudwatch(self) -> bool:
        """`alarms sync` reads the alarms CloudWatch has: rendered and tested against a local moto server."""
        return self.env.get("TRAINSPEND_CLOUDWATCH__ENABLED") == "true"


def _leading_assignments(words: list[str]) -> int:
    count = 0
    while count < len(words) and _ASSIGNMENT.match(words[count]):
        count += 1
    return count


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


def run(args: list[str], width: int = WIDTH, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Exit status and stdout of `trainspend ARGS` at the docs' width (in process, through the real Typer app), with
    `env` set for the command."""
    from typer.testing import CliRunner

    from monitor.cli.main import build_app

    result = CliRunner().invoke(build_app(), args, env={"COLUMNS": str(width), "NO_COLOR": "1", **(env or {})})
    return result.exit_code, result.stdout


@contextmanager
def local_cloudwatch() -> Iterator[dict[str, str]]:
    """A moto server on 127.0.0.1 (the `test` extra) for the `alarms sync` examples: the environment that points
    trainspend at it, with placeholder credentials. Never real AWS."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield {
            "TRAINSPEND_CLOUDWATCH__ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    finally:
        server.stop()


def run_example(example: Example, cloudwatch: dict[str, str]) -> tuple[int, str]:
    """`run` for one example: its own environment, plus the local CloudWatch's where it needs one."""
    return run(example.args, env={**example.env, **(cloudwatch if example.needs_cloudwatch else {})})


def normalised(line: str) -> str:
    """A line with its numbers masked and its runs of spaces and box-drawing characters made one space."""
    return _SPACES.sub(" ", _NUMBER.sub("#", line)).strip()


@dataclass(frozen=True)
class Excerpt:
    start: int
    end: int
    command: str
    lines: tuple[str, ...]


def excerpts(path: Path) -> list[Excerpt]:
    text = path.read_text(encoding="utf-8")
    return [Excerpt(m.start(2), m.end(2), m.group(1), tuple(m.group(2).splitlines())) for m in _EXCERPT.finditer(text)]


def excerpt_lines(excerpt: Excerpt, out: str) -> list[str] | None:
    """The excerpt's lines as the command prints them now (each found by its shape), or None when one is missing."""
    printed = [line.rstrip() for line in out.splitlines()]
    fresh = []
    for line in excerpt.lines:
        shown = normalised(line)
        if shown.endswith("..."):
            prefix = shown.removesuffix("...").strip()
            match = next((p for p in printed if normalised(p).startswith(prefix)), None)
            if match is None:
                return None
            cut = line.count(";")
            fresh.append(";".join(match.split(";")[:cut]) + "; ...")
        else:
            match = next((p for p in printed if normalised(p) == shown), None)
            if match is None:
                return None
            fresh.append(match)
    return fresh


def render(path: Path, cloudwatch: dict[str, str]) -> bool:
    """Rewrites each example's output and each excerpt's lines in `path`; True when something changed."""
    original = text = path.read_text(encoding="utf-8")
    for example in reversed(examples(path)):
        code, out = run_example(example, cloudwatch)
        if code != 0:
            raise SystemExit(f"{path.name}: `{example.command}` exited {code}:\n{out}")
        head = text[example.start : example.end].split("\n")
        command_lines = head[: len(head) - len(example.output.splitlines()) - 1]
        body = "\n".join(line.rstrip() for line in out.rstrip("\n").splitlines())
        text = text[: example.start] + "\n".join(command_lines) + "\n" + body + "\n" + text[example.end :]
    path.write_text(text, encoding="utf-8")
    for excerpt in reversed(excerpts(path)):
        fresh = excerpt_lines(excerpt, run(shlex.split(excerpt.command)[1:], EXCERPT_WIDTH)[1])
        if fresh is None:
            raise SystemExit(f"{path.name}: a line of the excerpt of `{excerpt.command}` is no longer printed; edit it")
        text = text[: excerpt.start] + "\n".join(fresh) + "\n" + text[excerpt.end :]
    changed = text != original
    path.write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    with local_cloudwatch() as cloudwatch:
        return _main(argv, cloudwatch)


def _main(argv: list[str], cloudwatch: dict[str, str]) -> int:
    if "--check" in argv:
        found = [e for path in DOCS for e in examples(path)]
        stale = [e for e in found if shape(run_example(e, cloudwatch)[1]) != shape(e.output)]
        for example in stale:
            print(f"{example.path.relative_to(ROOT)}: the output of `{example.command}` changed shape")
        cut = [
            e
            for path in DOCS
            for e in excerpts(path)
            if excerpt_lines(e, run(shlex.split(e.command)[1:], EXCERPT_WIDTH)[1]) is None
        ]
        for excerpt in cut:
            print(f"an excerpt of `{excerpt.command}` shows a line the command no longer prints")
        return 1 if stale or cut else 0
    for path in DOCS:
        if render(path, cloudwatch):
            print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

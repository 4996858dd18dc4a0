"""The lines of one metric in a Prometheus text-format page (format 0.0.4, as dcgm-exporter writes it).

Grammar (prometheus/docs content/docs/instrumenting/exposition_formats.md): `name{label="value",...} value
[timestamp]`; in a label value `\\\\`, `\\"` and `\\n` are escapes; a value is a Go float (`NaN`, `+Inf`, `-Inf`
too). Only the lines of the wanted metric are read: a dcgm-exporter page has a hundred other fields. Hand-written
because `prometheus_client` is the HTTP layer's library (an import-linter contract), and one metric's samples need
only this much of the format.
"""

from __future__ import annotations

from monitor.core.errors import UtilizationError

_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


def _labels(text: str, start: int, line: str) -> tuple[dict[str, str], int]:
    """Labels from `text[start]` (just after `{`) to the closing `}`; returns them and the index after `}`."""
    labels: dict[str, str] = {}
    i = start
    while True:
        while i < len(text) and text[i] in " ,":
            i += 1
        if i < len(text) and text[i] == "}":
            return labels, i + 1
        eq = text.find("=", i)
        if eq < 0 or eq + 1 >= len(text) or text[eq + 1] != '"':
            raise UtilizationError(f"malformed labels in {line[:200]!r}")
        name = text[i:eq].strip()
        i = eq + 2
        value: list[str] = []
        while True:
            if i >= len(text):
                raise UtilizationError(f"unterminated label value in {line[:200]!r}")
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                value.append(_ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
                i += 2
            elif char == '"':
                i += 1
                break
            else:
                value.append(char)
                i += 1
        labels[name] = "".join(value)


def samples_of(page: str, metric: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of `metric` in the page, as (labels, value). A malformed line of that metric is an error naming
    it; lines of other metrics are not looked at."""
    found: list[tuple[dict[str, str], float]] = []
    for line in page.split("\n"):  # only \n ends a line: a label value may hold \r or U+2028 (splitlines)
        if not line.startswith(metric):
            continue
        rest = line[len(metric) :]
        if rest[:1] == "{":
            labels, end = _labels(rest, 1, line)
            rest = rest[end:]
        elif rest[:1] in (" ", "\t"):
            labels = {}
        else:
            continue  # another metric whose name starts with this one's
        fields = rest.split()
        if not fields or len(fields) > 2:
            raise UtilizationError(f"malformed sample {line[:200]!r}")
        try:
            found.append((labels, float(fields[0])))
        except ValueError as error:
            raise UtilizationError(f"malformed value in {line[:200]!r}") from error
    return found

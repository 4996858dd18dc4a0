"""The read-only web page's static assets (HTML, JS, CSS), shipped in the package: no build step."""

from __future__ import annotations

from importlib.resources import files

_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


def asset(name: str) -> tuple[str, bytes] | None:
    """(content type, bytes) of a shipped asset by file name; None for any other name (no path walking)."""
    ctype = _TYPES.get(name)
    if ctype is None:
        return None
    return ctype, files(__name__).joinpath(name).read_bytes()

"""The bearer-token check (monitor.http.auth) and the api_token setting: only the exact token opens a guarded path,
the open paths need none, and a token that cannot work is refused at configuration time without being repeated."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from monitor.config.settings import Settings
from monitor.http.auth import authorized

_TOKENS = st.text(alphabet=string.ascii_letters + string.digits + "-._~+/=", min_size=16, max_size=64)
_GUARDED = st.sampled_from(["/metrics", "/api/v1/jobs", "/api/v1/report", "/api/v1/jobs/a/b/history", "/x"])


@given(token=_TOKENS, sent=st.text(max_size=80), path=_GUARDED)
def test_only_the_exact_token_opens_a_guarded_path(token: str, sent: str, path: str) -> None:
    assert authorized(token.encode(), path, f"Bearer {sent}") == (sent.strip() == token)


@given(token=_TOKENS, path=_GUARDED, header=st.one_of(st.none(), st.text(max_size=100)))
def test_a_header_without_the_bearer_scheme_never_opens(token: str, path: str, header: str | None) -> None:
    if header is not None and header.strip().lower().startswith("bearer "):
        return
    assert not authorized(token.encode(), path, header)


@given(token=_TOKENS, path=st.sampled_from(["/", "/healthz", "/readyz", "/ui/app.js", "/ui/style.css"]))
def test_probes_and_page_assets_stay_open(token: str, path: str) -> None:
    assert authorized(token.encode(), path, None)


def test_without_a_token_everything_is_open() -> None:
    assert authorized(None, "/metrics", None)


def test_an_oversized_header_is_refused_unread() -> None:
    token = "a" * 16
    assert not authorized(token.encode(), "/metrics", "Bearer " + token + " " * 5000)


@pytest.mark.parametrize("token", ["short", "has a space in it!!", "é" * 20, "x" * 1025, "tab\there-0123456789"])
def test_an_unusable_token_is_refused_without_repeating_it(token: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(api_token=token)
    assert "api_token" in str(caught.value)
    text = "\n".join(str(e["msg"]) for e in caught.value.errors())
    assert token not in text


def test_a_good_token_is_kept_secret() -> None:
    settings = Settings(api_token="0123456789abcdef0123456789abcdef")
    assert isinstance(settings.api_token, SecretStr)
    assert "0123456789abcdef" not in repr(settings)

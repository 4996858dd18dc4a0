from __future__ import annotations

import pytest
from pydantic import ValidationError

from monitor.settings import Settings


def test_nested_environment_variables_reach_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINSPEND_CLUSTER", "prod-eu")
    monkeypatch.setenv("TRAINSPEND_STORE__URL", "postgresql+psycopg://u@db/trainspend")
    monkeypatch.setenv("TRAINSPEND_PRICING__DISCOUNT_PERCENT", "12.5")
    settings = Settings()
    assert settings.cluster == "prod-eu"
    assert settings.store.url == "postgresql+psycopg://u@db/trainspend"
    assert settings.pricing.discount_percent == 12.5


def test_unknown_setting_is_rejected_with_its_name() -> None:
    with pytest.raises(ValidationError, match="tick_secs"):
        Settings(tick_secs=5)  # type: ignore[call-arg]

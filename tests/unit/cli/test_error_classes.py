"""The daemon's errors share one root (monitor.core.errors.TrainspendError), keep the vendor's exception as the
cause, and
the CLI edge recognises them by class."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes.config import ConfigException

from monitor.adapters.kube.client import build_api_client
from monitor.adapters.store.engine import create_store_engine, normalise_url
from monitor.adapters.store.migrate import ensure_schema
from monitor.cli.startup import CONFIG_EXIT_CODE, RUNTIME_EXIT_CODE, explain_startup_error
from monitor.config.settings import KubeSettings
from monitor.core.errors import ConfigError, KubeConfigError, KubeError, StoreError, TrainspendError


def _explain(exc: BaseException, store_url: str = "sqlite:///x.db"):
    return explain_startup_error(exc, listen="127.0.0.1:8080", listen_flag="--listen", store_url=store_url)


def test_a_missing_kubeconfig_is_a_kube_config_error_with_the_library_error_as_cause(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-kubeconfig")
    with pytest.raises(KubeConfigError) as caught:
        build_api_client(KubeSettings(kubeconfig=missing))
    assert isinstance(caught.value, KubeError)
    assert isinstance(caught.value, ConfigError)
    assert isinstance(caught.value, TrainspendError)
    assert isinstance(caught.value.__cause__, ConfigException)
    failure = _explain(caught.value)
    assert failure is not None
    assert failure.exit_code == CONFIG_EXIT_CODE
    assert "no Kubernetes API configuration" in failure.message


def test_a_class_named_like_the_library_one_is_not_mistaken_for_it() -> None:
    """Recognition is by class: an unrelated exception that happens to be called ConfigException is a bug."""
    impostor = type("ConfigException", (Exception,), {})("whatever")
    assert _explain(impostor) is None


def test_a_database_behind_the_schema_is_a_store_error_the_cli_explains(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = create_store_engine(url)
    try:
        with pytest.raises(StoreError) as caught:
            ensure_schema(engine, auto_upgrade=False)
    finally:
        engine.dispose()
    failure = _explain(caught.value, store_url=url)
    assert failure is not None
    assert failure.exit_code == RUNTIME_EXIT_CODE
    assert "trainspend db upgrade" in failure.message
    assert "store.url" in failure.message


def test_a_bad_store_url_is_a_config_error_that_is_still_a_value_error() -> None:
    with pytest.raises(ConfigError) as caught:
        normalise_url("mysql+pymysql://u@db/x")
    assert isinstance(caught.value, ValueError)
    failure = _explain(caught.value)
    assert failure is not None
    assert failure.exit_code == CONFIG_EXIT_CODE
    assert "store.url" in failure.message

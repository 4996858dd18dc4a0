"""The one configuration model of trainspend (pydantic-settings).

Sources, highest priority first: init arguments, environment (`TRAINSPEND_` prefix, nested with `__`, e.g.
`TRAINSPEND_STORE__URL`), a secrets directory (`TRAINSPEND_SECRETS_DIR`, one file per setting named like its environment
variable), and an optional YAML file (`TRAINSPEND_CONFIG_FILE`). Mirrored one to one by
`charts/trainspend/values.yaml` (`config:` section); a test keeps them in step.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KubeSettings(Section):
    kubeconfig: str | None = Field(default=None, description="path to a kubeconfig; None = in-cluster, then default")
    context: str | None = Field(default=None, description="kubeconfig context to use")
    api_url: str | None = Field(default=None, description="API server URL without auth (demo and tests)")
    request_timeout_seconds: float = Field(default=10.0, gt=0, description="timeout of one list/get request")
    watch_timeout_seconds: int = Field(default=300, gt=0, description="server-side timeoutSeconds of one watch")
    backoff_max_seconds: float = Field(default=30.0, gt=0, description="cap of the exponential watch backoff")
    crd_recheck_seconds: float = Field(default=300.0, gt=0, description="how often to re-discover training CRDs")
    namespaces: list[str] = Field(default_factory=list, description="namespaces to watch; empty = all")
    deleted_pod_tombstone_seconds: float = Field(
        default=600.0,
        ge=0,
        description="how long a deleted pod's tombstone (its deletion time; it holds nothing) stays in the cache so "
        "that the accrual closes its interval at that time",
    )


class LeaderSettings(Section):
    enabled: bool = Field(default=False, description="elect a leader with a coordination.k8s.io Lease")
    lease_name: str = Field(default="trainspend-leader", description="name of the Lease object")
    lease_namespace: str = Field(default="trainspend", description="namespace of the Lease object")
    lease_duration_seconds: int = Field(default=15, gt=0, description="how long a lease is valid without renewal")
    renew_period_seconds: float = Field(default=5.0, gt=0, description="how often the leader renews")
    identity: str | None = Field(default=None, description="holder identity; None = hostname")


class OnPremNodeClass(Section):
    name: str = Field(description="a name for this class of owned nodes")
    selector: dict[str, str] = Field(description="node labels that select the class (all must match)")
    purchase_usd: float = Field(gt=0, description="purchase price of one node, USD")
    amortisation_years: float = Field(default=3.0, gt=0, description="years over which the purchase is spread")
    watts: float = Field(gt=0, description="average electrical draw of one node, watts")
    usd_per_kwh: float = Field(default=0.15, ge=0, description="electricity price, USD per kWh")
    pue: float = Field(default=1.3, ge=1.0, description="data-centre power usage effectiveness")


class PricingSettings(Section):
    instance_usd_per_hour: dict[str, float] = Field(
        default_factory=dict,
        description="hourly price overrides by instance type (USD per hour, not per month)",
    )
    gpu_usd_per_hour: dict[str, float] = Field(
        default_factory=dict, description="hourly price per GPU by GPU model, e.g. {'H100-SXM': 2.5}"
    )
    discount_percent: float = Field(default=0.0, ge=0, lt=100, description="negotiated discount on list prices")
    on_prem: list[OnPremNodeClass] = Field(default_factory=list, description="owned node classes priced by TCO")
    aws_enabled: bool = Field(default=False, description="use the AWS Pricing API and EC2 spot price history")
    aws_pricing_endpoint_url: str | None = Field(default=None, description="override of the Pricing API endpoint")
    aws_ec2_endpoint_url: str | None = Field(default=None, description="override of the EC2 endpoint")
    azure_enabled: bool = Field(default=False, description="use the Azure Retail Prices API")
    azure_endpoint_url: str = Field(
        default="https://prices.azure.com/api/retail/prices", description="Azure Retail Prices API URL"
    )
    gcp_enabled: bool = Field(default=False, description="use the GCP Cloud Billing Catalog API")
    gcp_endpoint_url: str = Field(
        default="https://cloudbilling.googleapis.com/v1", description="Cloud Billing Catalog API base URL"
    )
    gcp_api_key: SecretStr | None = Field(default=None, description="GCP API key (from a Secret)")
    cache_ttl_seconds: float = Field(default=3600.0, gt=0, description="how long a live price is reused")
    stale_after_seconds: float = Field(default=86400.0, gt=0, description="age after which a price is flagged stale")
    refresh_seconds: float = Field(
        default=900.0,
        gt=0,
        description="how often the price-refresh task asks every node's price again (a node new to the daemon: "
        "within 5 s); the tick only reads what it learned",
    )
    request_timeout_seconds: float = Field(default=10.0, gt=0, description="timeout of one pricing API request")

    @model_validator(mode="before")
    @classmethod
    def _no_monthly_fields(cls, data: object) -> object:
        """Users mix monthly and hourly prices (opencost#4020): name the field, not a generic extra-field error."""
        if isinstance(data, dict):
            for key in data:
                if "month" in str(key).lower():
                    raise ValueError(
                        f"pricing.{key}: prices are per hour; divide a monthly price by 730 h and set "
                        "instance_usd_per_hour or gpu_usd_per_hour"
                    )
        return data

    @field_validator("instance_usd_per_hour", "gpu_usd_per_hour")
    @classmethod
    def _hourly_prices(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        """No list price reaches $500/h per GPU or $1000/h per node (dearest node listed: ~$114/h, AWS p6-b200,
        2026-07-20): above that, the figure is almost surely monthly. 0 is allowed: it is an explicit override."""
        limit_usd = 500.0 if info.field_name == "gpu_usd_per_hour" else 1000.0
        for key, usd in value.items():
            where = f"pricing.{info.field_name}[{key!r}] = {usd}"
            if usd < 0:
                raise ValueError(f"{where}: a price cannot be negative; use 0 for a node that costs nothing")
            if usd > limit_usd:
                raise ValueError(
                    f"{where} USD/h looks like a monthly price (limit {limit_usd:.0f} USD/h); divide it by 730 h"
                )
        return value


class StoreSettings(Section):
    url: str = Field(default="sqlite:///trainspend.db", description="SQLAlchemy URL; PostgreSQL for production/HA")
    auto_upgrade: bool = Field(default=True, description="run Alembic migrations on start")
    retention_days: int = Field(
        default=90, gt=0, description="how long closed cost segments are kept (totals and the hourly rollup stay)"
    )


# RFC 1123 DNS labels: Kubernetes namespaces, Service and port names are such labels, and a budget name, which becomes
# part of CloudWatch alarm names and a metric label value, has the same shape to keep both valid.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_LABEL_MAX = 63


def _is_dns_label(value: str) -> bool:
    return len(value) <= _DNS_LABEL_MAX and _DNS_LABEL.match(value) is not None


# A bearer token: long enough not to be guessed (openssl rand -hex 16 gives 32), short enough for one header.
_TOKEN_MIN_CHARS = 16
_TOKEN_MAX_CHARS = 1024


class BudgetSettings(Section):
    name: str = Field(description="budget name (used in metrics and alarm names)")
    limit_usd: float = Field(gt=0, description="spend limit for one period, USD")
    period: Literal["monthly", "weekly", "total"] = Field(default="monthly", description="budget period")
    namespace: str | None = Field(default=None, description="only workloads in this namespace")
    team: str | None = Field(default=None, description="only workloads of this team (team label)")
    queue: str | None = Field(
        default=None, description="only workloads submitted to this Kueue LocalQueue (kueue.x-k8s.io/queue-name)"
    )
    cluster_queue: str | None = Field(
        default=None, description="only workloads whose Kueue LocalQueue feeds this ClusterQueue (spec.clusterQueue)"
    )
    cohort: str | None = Field(default=None, description="only workloads whose Kueue ClusterQueue is in this cohort")
    selector: dict[str, str] = Field(default_factory=dict, description="only workloads with these labels")
    thresholds: list[float] = Field(default_factory=lambda: [0.8, 1.0], description="fractions of the limit")
    action: Literal["alert", "suspend"] = Field(
        default="alert",
        description="on a breach: alert only, or also suspend the budget's running Jobs (opt-in; needs the chart's "
        "extra RBAC, rendered when a budget asks for it)",
    )
    dry_run: bool = Field(default=False, description="with action: suspend, log and post the Event but patch nothing")
    suspend_via: Literal["workload", "local_queue"] = Field(
        default="workload",
        description="with action: suspend: set the Job's own suspend field (workload), or hold its Kueue LocalQueue "
        "(spec.stopPolicy: Hold; running Jobs finish, nothing new is admitted)",
    )

    @model_validator(mode="after")
    def _suspend_options_need_suspend(self) -> BudgetSettings:
        if self.action != "suspend" and (self.dry_run or self.suspend_via != "workload"):
            raise ValueError(
                f"budgets[{self.name!r}]: dry_run/suspend_via only apply to action: suspend (action={self.action!r}); "
                "set action: suspend or remove them"
            )
        return self

    @field_validator("name")
    @classmethod
    def _dns_label_name(cls, value: str) -> str:
        """The name goes into alarm names (`trainspend-<cluster>-<budget>-<pct>`) and the `budget` label."""
        if not _is_dns_label(value):
            raise ValueError(
                f"budgets[].name={value!r}: use at most {_DNS_LABEL_MAX} lower-case letters, digits and '-', "
                "starting and ending with a letter or digit, e.g. 'nlp-monthly'"
            )
        return value


class CloudWatchSettings(Section):
    enabled: bool = Field(default=False, description="publish spend to CloudWatch and reconcile alarms")
    region: str = Field(default="us-east-1", description="AWS region for CloudWatch and SNS")
    endpoint_url: str | None = Field(default=None, description="override of the CloudWatch endpoint")
    namespace: str = Field(default="Trainspend", description="CloudWatch metric namespace")
    per_job_dimensions: bool = Field(default=False, description="also publish per Namespace/Job")
    alarm_actions: list[str] = Field(default_factory=list, description="SNS topic ARNs for ALARM and OK")
    alarm_sync_seconds: float = Field(default=300.0, gt=0, description="alarm reconcile interval")
    billing_alarm_usd: float | None = Field(default=None, description="account EstimatedCharges alarm threshold")


class NotifySettings(Section):
    slack_webhook_url: SecretStr | None = Field(default=None, description="Slack incoming webhook URL (Secret)")
    pagerduty_routing_key: SecretStr | None = Field(default=None, description="PagerDuty Events v2 key (Secret)")
    pagerduty_url: str = Field(
        default="https://events.pagerduty.com/v2/enqueue", description="PagerDuty Events API v2 endpoint"
    )
    webhook_url: SecretStr | None = Field(default=None, description="generic JSON webhook URL (Secret)")
    webhook_secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 key for the webhook (Secret)")
    sns_topic_arn: str | None = Field(default=None, description="SNS topic for notifications")
    sns_endpoint_url: str | None = Field(default=None, description="override of the SNS endpoint")
    max_attempts: int = Field(default=12, gt=0, description="delivery attempts before a message is dropped")
    max_age_seconds: float = Field(default=86400.0, gt=0, description="age after which undelivered messages expire")
    link_base_url: str | None = Field(default=None, description="base URL for links in messages (Grafana)")


class ExporterSettings(Section):
    opencost_series: bool = Field(
        default=False,
        description="also export OpenCost's node_total_hourly_cost, node_gpu_hourly_cost, node_gpu_count and "
        "Kubecost's kubecost_node_is_spot; leave off where a Prometheus also scrapes OpenCost (its queries would "
        "then average or double the two), turn on to feed OpenCost/Kubecost dashboards without OpenCost",
    )


_DCGM_METRICS = Literal["DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_PROF_GR_ENGINE_ACTIVE"]


class DcgmSettings(Section):
    enabled: bool = Field(
        default=False,
        description="read per-pod GPU utilization from dcgm-exporter: trainspend_job_gpu_utilization_ratio and "
        "trainspend_job_unused_gpu_cost_usd_total",
    )
    prometheus_url: str | None = Field(
        default=None,
        description="base URL of a Prometheus that scrapes dcgm-exporter (e.g. http://prometheus-operated."
        "monitoring:9090); when set, readings come from its /api/v1/query",
    )
    endpoints: list[str] = Field(
        default_factory=list,
        description="dcgm-exporter /metrics URLs to scrape directly when prometheus_url is not set",
    )
    service: str | None = Field(
        default=None,
        max_length=127,
        description="NAMESPACE/NAME of dcgm-exporter's Service (the GPU Operator's: gpu-operator/nvidia-dcgm-exporter)"
        " to scrape its ready pods directly, found each read from the Service's EndpointSlices, when prometheus_url "
        "is not set (instead of a fixed endpoints list; the chart grants list on EndpointSlices in that namespace)",
    )
    service_port: str = Field(
        default="gpu-metrics",
        max_length=63,
        description="the Service port to scrape, by name (the GPU Operator's is gpu-metrics) or number",
    )
    metric: _DCGM_METRICS = Field(
        default="DCGM_FI_DEV_GPU_UTIL",
        description="DCGM_FI_DEV_GPU_UTIL (percent of time a kernel ran; in dcgm-exporter's default counters) or "
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE (ratio; needs the DCP profiling counters)",
    )
    window_seconds: int = Field(
        default=120, gt=0, le=3600, description="averaging window of the Prometheus query (avg_over_time), seconds"
    )
    refresh_seconds: float = Field(default=30.0, gt=0, description="how often utilization is read")
    request_timeout_seconds: float = Field(default=5.0, gt=0, description="timeout of one request")
    stale_after_seconds: float = Field(
        default=300.0, gt=0, description="a reading older than this counts as none (no waste is accrued from it)"
    )

    @field_validator("prometheus_url", "endpoints")
    @classmethod
    def _http_urls(cls, value: str | list[str] | None, info: ValidationInfo) -> str | list[str] | None:
        for url in [value] if isinstance(value, str) else value or []:
            if len(url) > 2048 or not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(
                    f"dcgm.{info.field_name}: {url[:200]!r} is not an http(s) URL; e.g. "
                    "http://prometheus-operated.monitoring:9090 or http://10.0.1.11:9400/metrics"
                )
        return value

    @field_validator("service")
    @classmethod
    def _service_ref(cls, value: str | None) -> str | None:
        parts = value.split("/") if value is not None else []
        if value is not None and (len(parts) != 2 or not all(_is_dns_label(part) for part in parts)):
            raise ValueError(
                f"dcgm.service: {value[:200]!r} is not NAMESPACE/NAME of a Service; "
                "e.g. gpu-operator/nvidia-dcgm-exporter"
            )
        return value

    @field_validator("service_port")
    @classmethod
    def _port_ref(cls, value: str) -> str:
        number = value.isdigit() and 0 < int(value) < 65536
        if not number and (value.isdigit() or not _is_dns_label(value)):
            raise ValueError(
                f"dcgm.service_port: {value!r} is neither a port name (lowercase letters, digits, '-') nor a port "
                "number 1-65535; the GPU Operator's is gpu-metrics (9400)"
            )
        return value

    @model_validator(mode="after")
    def _somewhere_to_read(self) -> DcgmSettings:
        if self.enabled and not self.prometheus_url and not self.endpoints and not self.service:
            raise ValueError(
                "dcgm.enabled=true needs dcgm.prometheus_url (a Prometheus scraping dcgm-exporter), dcgm.service "
                "(dcgm-exporter's Service, e.g. gpu-operator/nvidia-dcgm-exporter) or dcgm.endpoints "
                "(dcgm-exporter /metrics URLs)"
            )
        if self.endpoints and self.service:
            raise ValueError(
                f"dcgm.endpoints and dcgm.service ({self.service}) are both set: scrape the Service's pods (leave "
                "endpoints empty) or the listed URLs (leave service unset), not both"
            )
        return self


class Settings(BaseSettings):
    """Everything trainspend can be told. See the chart's values.yaml for the same fields, documented."""

    model_config = SettingsConfigDict(
        env_prefix="TRAINSPEND_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    cluster: str = Field(default="default", description="cluster name on every series and alarm")
    listen: str = Field(default="0.0.0.0:8080", description="HOST:PORT of /metrics, probes and the JSON API")
    api_token: SecretStr | None = Field(
        default=None,
        description="bearer token that /metrics and /api/v1 require (from a Secret); null = open; /healthz, /readyz "
        "and the page's assets stay open",
    )
    tick_seconds: float = Field(default=30.0, gt=0, description="how often the agent ticks")
    trainer_status_stale_seconds: float | None = Field(
        default=None,
        gt=0,
        description="a TrainJob's status.trainerStatus older than this (lastUpdatedTime) is stale: progress falls back "
        "to annotations and the estimate; null = max(3 x tick_seconds, 300)",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="log level")
    log_format: Literal["text", "json"] = Field(
        default="text", description="log lines as text, or one JSON object per line with each record's extra fields"
    )
    team_label: str = Field(default="team", description="workload label that names the owning team")
    finished_job_ttl_seconds: float = Field(
        default=3600.0, ge=0, description="how long finished Jobs stay in the live metrics"
    )
    job_snapshot_interval_seconds: float = Field(
        default=300.0,
        gt=0,
        description="how often an unchanged Job's snapshot is rewritten to the store (new or materially changed Jobs "
        "are written at once)",
    )
    currency: str = Field(
        default="USD", description="currency for displayed costs (USD or CNY); metrics and alarms stay in USD"
    )
    cny_per_usd: float | None = Field(
        default=None,
        gt=0,
        description="USD/CNY rate for displayed costs; null = the built-in dated CFETS central parity "
        "(estimator.currency.cfets_rate: 7.0197 on 2026-01-08)",
    )
    cny_per_usd_as_of: date | None = Field(default=None, description="date of cny_per_usd, shown beside it")
    kube: KubeSettings = Field(default_factory=KubeSettings, description="Kubernetes API access and watches")
    leader: LeaderSettings = Field(default_factory=LeaderSettings, description="leader election (HA)")
    pricing: PricingSettings = Field(default_factory=PricingSettings, description="price sources and overrides")
    store: StoreSettings = Field(default_factory=StoreSettings, description="database (SQLite or PostgreSQL)")
    budgets: list[BudgetSettings] = Field(
        default_factory=list,
        description="budgets by namespace, team, labels, Kueue queue/ClusterQueue/cohort; each item: name, limit_usd, "
        "period, namespace, team, queue, cluster_queue, cohort, selector, thresholds, action (alert | suspend), "
        "dry_run, suspend_via (workload | local_queue)",
    )
    cloudwatch: CloudWatchSettings = Field(
        default_factory=CloudWatchSettings, description="CloudWatch metrics and alarms"
    )
    notify: NotifySettings = Field(default_factory=NotifySettings, description="on-call notification channels")
    exporter: ExporterSettings = Field(default_factory=ExporterSettings, description="Prometheus series")
    dcgm: DcgmSettings = Field(default_factory=DcgmSettings, description="GPU utilization from dcgm-exporter")
    config_file: Path | None = Field(default=None, description="optional YAML file with these settings")
    secrets_dir: Path | None = Field(default=None, description="optional directory of secret files")

    @property
    def trainer_status_stale_bound_seconds(self) -> float:
        """The staleness bound in use: the setting, else max(3 ticks, 300 s) — a trainer reports on its logging
        steps, often minutes apart, so three ticks alone would call a healthy slow run stale."""
        if self.trainer_status_stale_seconds is not None:
            return self.trainer_status_stale_seconds
        return max(3 * self.tick_seconds, 300.0)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        """HOST:PORT (IPv6 in brackets, e.g. [::]:8080); port 0 picks a free port."""
        _host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or int(port) > 65535:
            raise ValueError(f"listen={value!r}: expected HOST:PORT with a port from 0 to 65535, e.g. 0.0.0.0:8080")
        return value

    @field_validator("api_token")
    @classmethod
    def _usable_token(cls, value: SecretStr | None) -> SecretStr | None:
        """A token a client can send in one header and nobody guesses; the message never repeats it."""
        if value is None:
            return None
        token = value.get_secret_value()
        if not _TOKEN_MIN_CHARS <= len(token) <= _TOKEN_MAX_CHARS or not token.isascii() or not token.isprintable():
            raise ValueError(
                f"api_token: use {_TOKEN_MIN_CHARS} to {_TOKEN_MAX_CHARS} printable ASCII characters (it has "
                f"{len(token)}), e.g. the output of `openssl rand -hex 32`; unset it to leave the API open"
            )
        if any(c.isspace() for c in token):
            raise ValueError("api_token: it contains whitespace, which an Authorization header cannot carry intact")
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        """Normalises "usd", "RMB"... to "USD" / "CNY"; anything else names the field and the supported codes."""
        key = value.strip().upper()
        key = "CNY" if key == "RMB" else key
        if key not in ("USD", "CNY"):
            raise ValueError(f"currency={value!r}: supported display currencies are USD and CNY")
        return key

    @field_validator("budgets")
    @classmethod
    def _unique_budget_names(cls, value: list[BudgetSettings]) -> list[BudgetSettings]:
        """Two budgets with one name would share alarms and metric series, each overwriting the other."""
        seen: set[str] = set()
        for budget in value:
            if budget.name in seen:
                raise ValueError(f"budgets[].name={budget.name!r} appears twice: give each budget its own name")
            seen.add(budget.name)
        return value

    @model_validator(mode="after")
    def _rate_date_needs_rate(self) -> Settings:
        if self.cny_per_usd_as_of is not None and self.cny_per_usd is None:
            raise ValueError(
                f"cny_per_usd_as_of={self.cny_per_usd_as_of}: set cny_per_usd too (the rate of that date), "
                "or remove it to use the built-in dated CFETS rate"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        secrets_dir = _env_path("TRAINSPEND_SECRETS_DIR")
        if secrets_dir is not None:
            from monitor.config.sources import SecretsDirSource

            sources.append(SecretsDirSource(settings_cls, secrets_dir))
        yaml_path = _env_path("TRAINSPEND_CONFIG_FILE")
        if yaml_path is not None:
            from monitor.config.sources import require_config_file

            # pydantic-settings silently skips a missing YAML file; a typo in the path must not mean "defaults".
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=require_config_file(yaml_path)))
        return tuple(sources)


def _env_path(name: str) -> Path | None:
    import os  # read lazily: settings are built at the composition root only

    value = os.environ.get(name)
    return Path(value) if value else None

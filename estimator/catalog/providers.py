"""One provider id per cloud: the names people and Kubernetes use for a cloud → the id the offer catalogs use.

The catalogs name Alibaba Cloud `aliyun` (its own domain and CLI name) and Tencent Cloud `tencent`. ACK nodes carry
provider IDs like `cn-hangzhou.i-…` or `alicloud://…`, TKE nodes `qcloud:///…`; users type "Alibaba Cloud" or
"qcloud". Every such alias is mapped here and nowhere else, so node identity, the price chain and the CLI agree.
"""

from __future__ import annotations

from types import MappingProxyType

ALIBABA = "aliyun"
TENCENT = "tencent"

# Lower-case aliases with spaces, dashes and underscores removed → the catalog's provider id.
_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "aliyun": ALIBABA,
        "alibaba": ALIBABA,
        "alibabacloud": ALIBABA,
        "alicloud": ALIBABA,
        "ack": ALIBABA,
        "tencent": TENCENT,
        "tencentcloud": TENCENT,
        "qcloud": TENCENT,
        "tke": TENCENT,
    }
)


def _key(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch not in " -_")


def provider_alias(name: str) -> str | None:
    """The catalog id of a known alias of a China cloud ("Alibaba Cloud" → "aliyun", "qcloud" → "tencent"); None
    for any other name."""
    return _ALIASES.get(_key(name))


def canonical_provider(name: str) -> str:
    """The catalog's provider id for `name`: an alias mapped by `provider_alias`, any other name lower-cased as given
    ("AWS" → "aws")."""
    return provider_alias(name) or name.strip().lower()

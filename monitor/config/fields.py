"""Where a location in the settings (pydantic's error `loc`, e.g. `('notify', 'slack_webhook_url')`) points: the
environment variable that sets it, whether it holds a secret, and the names known at that level (for "did you mean").

Read from the model's own field types, so a new secret field is masked in error messages without a list to update.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass

from pydantic import BaseModel, SecretStr

from monitor.config.sources import DELIMITER, PREFIX


@dataclass(frozen=True)
class FieldPath:
    env: str | None  # the variable that sets this value (a list's or dict's own variable for its items); None: none
    secret: bool  # the field is a SecretStr: its value is never shown
    section: bool  # the field is a section (or a list of them): its value may hold secret fields
    siblings: tuple[str, ...]  # field names of the section the last key belongs to


def _members(annotation: object) -> tuple[object, ...]:
    """The types inside Optional / unions / list[...] / dict[..., ...], flattened."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return (annotation,)
    if origin in (typing.Union, types.UnionType, list, tuple, set, dict, frozenset):
        return tuple(m for arg in typing.get_args(annotation) for m in _members(arg))
    return (annotation,)


def _section(annotation: object) -> type[BaseModel] | None:
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None


def locate(model: type[BaseModel], loc: tuple[int | str, ...]) -> FieldPath:
    names: list[str] = []
    env_done = False  # past a list index or a dict key: the variable is that of the list or dict
    current: type[BaseModel] | None = model
    secret = section = False
    siblings: tuple[str, ...] = tuple(model.model_fields)
    for part in loc:
        if isinstance(part, int):
            env_done = True
            continue
        if current is None:  # a dict key or a union tag below a plain field
            env_done = True
            continue
        siblings = tuple(current.model_fields)
        field = current.model_fields.get(part)
        if field is None:
            return FieldPath(env=None, secret=False, section=False, siblings=siblings)
        if not env_done:
            names.append(part)
        secret = any(member is SecretStr for member in _members(field.annotation))
        current = _section(field.annotation)
        section = current is not None
    env = PREFIX + DELIMITER.join(n.upper() for n in names) if names else None
    return FieldPath(env=env, secret=secret, section=section, siblings=siblings)

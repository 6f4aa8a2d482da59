"""OCPP's camelCase keys to the ``ocpp`` package's snake_case and back, each key converted once.

The package runs two regular expressions per key of every payload (a third of a MeterValues
frame's cost); the set of keys is small and fixed by the schemas, so the conversions are cached.
The key rules themselves stay the package's, so handlers see exactly the names they always did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.charge_point import camel_to_snake_case as _package_to_snake
from ocpp.charge_point import snake_to_camel_case as _package_to_camel

# Payload keys come from the schemas, but a vendor's DataTransfer could carry arbitrary keys:
# bound the caches so a hostile stream of new keys cannot grow memory without limit.
_MAX_KEYS = 4096

# Plain dicts rather than functools.cache: the size check ran ``cache_info()`` for every dict of
# every payload, which cost more than the conversions it guarded (issue 3's profile).
_SNAKE: dict[str, str] = {}
_CAMEL: dict[str, str] = {}


def _snake_key(key: str) -> str:
    converted: dict[str, Any] = _package_to_snake({key: None})
    return next(iter(converted))


def _camel_key(key: str) -> str:
    converted: dict[str, Any] = _package_to_camel({key: None})
    return next(iter(converted))


def _convert(data: Any, cache: dict[str, str], convert_key: Callable[[str], str]) -> Any:
    if isinstance(data, dict):
        result = {}
        for key, value in data.items():
            converted = cache.get(key)
            if converted is None:
                if len(cache) >= _MAX_KEYS:
                    cache.clear()
                converted = cache[key] = convert_key(key)
            result[converted] = _convert(value, cache, convert_key) if isinstance(value, dict | list) else value
        return result
    if isinstance(data, list):
        return [_convert(value, cache, convert_key) if isinstance(value, dict | list) else value for value in data]
    return data


def to_snake(data: Any) -> Any:
    """``camel_to_snake_case`` of the ``ocpp`` package, with cached key conversions."""
    return _convert(data, _SNAKE, _snake_key)


def to_camel(data: Any) -> Any:
    """``snake_to_camel_case`` of the ``ocpp`` package, with cached key conversions."""
    return _convert(data, _CAMEL, _camel_key)

"""Failures of a use case, named in domain terms; the API maps each to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a caller can act on."""


class NotFound(DomainError):
    """The addressed thing does not exist (HTTP 404)."""

    def __init__(self, entity: str, key: str) -> None:
        super().__init__(f"{entity} {key!r} does not exist")
        self.entity = entity
        self.key = key


class Duplicate(DomainError):
    """A unique rule would be broken (HTTP 409): the thing exists already."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownReference(DomainError):
    """A body field names something that does not exist (HTTP 422, like any other invalid field)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

"""Spans are recorded only where something exports them; their ids travel either way."""

from __future__ import annotations

import pytest
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBased

from ladeplan_platform.tracing import default_sampler

pytestmark = pytest.mark.unit


def test_nothing_exported_means_nothing_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    sampler = default_sampler(exporting=False)
    assert isinstance(sampler, ParentBased)
    tracer = TracerProvider(sampler=sampler).get_tracer("test")
    with tracer.start_as_current_span("ocpp MeterValues") as span:
        assert not span.is_recording()
        # ... yet the ids exist, for the logs and for the message headers.
        context = span.get_span_context()
        assert context.is_valid
        headers: dict[str, str] = {}
        propagate.inject(headers)
        assert headers["traceparent"].split("-")[1] == format(context.trace_id, "032x")


def test_a_sampled_parent_is_still_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    tracer = TracerProvider(sampler=default_sampler(exporting=False)).get_tracer("test")
    parent = propagate.extract({"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
    with tracer.start_as_current_span("consume", context=parent) as span:
        assert span.is_recording()
        assert span.get_span_context().trace_flags.sampled


def test_exporters_and_the_env_keep_the_sdk_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    assert default_sampler(exporting=True) is None
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    assert default_sampler(exporting=False) is None
    # None: the SDK reads OTEL_TRACES_SAMPLER itself (default parentbased_always_on).
    assert (
        TracerProvider(sampler=default_sampler(exporting=False))
        .sampler.get_description()
        .startswith("ParentBased{root:TraceIdRatioBased")
    )

"""OpenTelemetry set-up and W3C trace-context propagation through AMQP headers.

The exporter is chosen by the standard ``OTEL_TRACES_EXPORTER`` variable: ``otlp`` (HTTP, the
``OTEL_EXPORTER_OTLP_*`` variables), ``console``, or ``none`` (the default: spans are still
created, so trace ids reach the logs and headers).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter


def configure_tracing(service: str, extra_processor: SpanProcessor | None = None) -> TracerProvider:
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource)
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").lower()
    if exporter_name == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if extra_processor is not None:
        provider.add_span_processor(extra_processor)
    trace.set_tracer_provider(provider)
    return provider


def inject_headers(headers: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Write the current trace context (``traceparent``/``tracestate``) into message headers."""
    propagate.inject(headers)
    return headers


def extract_context(headers: Mapping[str, Any] | None) -> context.Context:
    """The trace context a message carried, to parent the consumer's span on."""
    carrier = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in (headers or {}).items()}
    return propagate.extract(carrier)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)

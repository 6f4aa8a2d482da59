"""OpenTelemetry set-up and W3C trace-context propagation through AMQP headers.

The exporter is chosen by the standard ``OTEL_TRACES_EXPORTER`` variable: ``otlp`` (HTTP, the
``OTEL_EXPORTER_OTLP_*`` variables), ``console``, or ``none`` (the default).

With ``none`` nothing would ever read a recorded span, so spans are not recorded unless a
sampled parent asks for it (sampler ``parentbased_always_off``): every span still gets its ids,
so trace and span ids still reach the logs and the ``traceparent`` header (flagged not sampled),
and a request is still followed across services by its trace id in their logs. Recording costs
about twice as much per span, which the gateway pays twice per meter value (docs/benchmarks.md).
With an exporter, or with ``OTEL_TRACES_SAMPLER`` set, the SDK's sampler applies (by default
``parentbased_always_on``: every span recorded and exported); ``OTEL_TRACES_SAMPLER=
parentbased_traceidratio`` with ``OTEL_TRACES_SAMPLER_ARG`` records a share of the traces.
Set ``OTEL_TRACES_EXPORTER`` the same on every service: a service that exports does not record
the spans of a trace an unexporting service started, which flags it not sampled.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler


def configure_tracing(service: str, extra_processor: SpanProcessor | None = None) -> TracerProvider:
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    processors: list[SpanProcessor] = []
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").lower()
    if exporter_name == "console":
        processors.append(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(OTLPSpanExporter()))
    if extra_processor is not None:
        processors.append(extra_processor)
    provider = TracerProvider(resource=resource, sampler=default_sampler(exporting=bool(processors)))
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return provider


def default_sampler(*, exporting: bool) -> Sampler | None:
    """``parentbased_always_off`` when no span would be exported, else None (the SDK's, from the env)."""
    if exporting or os.environ.get("OTEL_TRACES_SAMPLER"):
        return None
    return ParentBased(ALWAYS_OFF)


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

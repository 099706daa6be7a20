/**
 * Spans through the OpenTelemetry API. Without a started SDK (OTEL_SDK_DISABLED, tests) the API
 * hands out no-op spans, so tracing off costs next to nothing. The SDK is started by
 * observability/otel.ts from the standard OTEL_* variables.
 */
import { context, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { errorMessage } from './redact.ts';

export const tracer = trace.getTracer('jirasync');

/**
 * Runs `fn` inside a span; errors are recorded (redacted) and re-thrown. A span that ends without
 * an error keeps the status Unset (as OpenTelemetry asks of instrumentation), so `fn` may still
 * mark it failed with markFailed() when it handles a failure without throwing.
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed: status ERROR and an exception event, both with the redacted message only. */
export function markFailed(span: Span, err: unknown): void {
  const message = errorMessage(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.recordException({ name: (err as Error)?.name ?? 'Error', message });
}

/** trace_id/span_id of the active span, for log lines and exemplars; empty when none. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  const ctx = span?.spanContext();
  if (!ctx || !trace.isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}

/** Exemplar labels linking a histogram observation to the active trace (empty without one). */
export function traceExemplar(): Record<string, string> {
  const { trace_id } = activeTraceIds();
  return trace_id ? { trace_id } : {};
}

/**
 * One child span per engine operation (resolve-target, fetch-issues, …) under a run's root span,
 * opened and closed as the engine's progress reports move from one operation to the next.
 */
export class OperationSpans {
  readonly #parent: Span;
  #current: { name: string; span: Span } | undefined;

  constructor(parent: Span) {
    this.#parent = parent;
  }

  enter(operation: string): void {
    if (this.#current?.name === operation) return;
    this.#current?.span.end();
    const ctx = trace.setSpan(context.active(), this.#parent);
    this.#current = { name: operation, span: tracer.startSpan(`jirasync.${operation}`, { attributes: { 'jirasync.operation': operation } }, ctx) };
  }

  end(err?: unknown): void {
    if (!this.#current) return;
    if (err) markFailed(this.#current.span, err);
    this.#current.span.end();
    this.#current = undefined;
  }
}

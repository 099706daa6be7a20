/**
 * Where the sandbox's controllers send their traces: the tests' OTLP receiver on 127.0.0.1, so that
 * tracing is on and every run, Jira request and git push gets a trace id, which the run-duration
 * and latency histograms carry as exemplars into Prometheus. The sandbox has no trace store: the
 * receiver counts the spans and keeps only the trace ids of the latest runs (also written to
 * `idsFile`, one a line, so a person or the smoke test can match an exemplar to a trace it sent), so
 * a sandbox left running for hours does not grow. In a cluster, OTEL_EXPORTER_OTLP_ENDPOINT names
 * Tempo or Jaeger.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { startOtlpReceiver, tracingEnv } from '../fixtures/otlp-receiver.ts';

export interface TraceSink {
  url: string;
  port: number;
  /** The controller environment that turns tracing on and exports here. */
  env: Record<string, string>;
  /** Spans received so far. */
  spans(): number;
  /** The file holding the trace ids of the latest whole runs (root span jirasync.reconcile), newest last, at most 50. */
  idsFile: string;
  stop(): Promise<void>;
}

/** Starts the receiver; what it keeps is trimmed every few seconds. */
export async function startTraceSink(idsFile: string): Promise<TraceSink> {
  mkdirSync(dirname(idsFile), { recursive: true });
  writeFileSync(idsFile, '');
  const otlp = await startOtlpReceiver();
  let count = 0;
  const runs: string[] = [];
  const trim = setInterval(() => {
    const fresh = otlp.spans.splice(0);
    otlp.bodies.splice(0);
    count += fresh.length;
    const before = runs.length;
    for (const s of fresh) if (s.name === 'jirasync.reconcile') runs.push(s.traceId);
    if (runs.length === before) return;
    runs.splice(0, Math.max(0, runs.length - 50));
    writeFileSync(idsFile, runs.map((id) => `${id}\n`).join(''));
  }, 2000);
  trim.unref();
  return {
    url: otlp.url,
    port: Number(new URL(otlp.url).port),
    env: tracingEnv(otlp.url),
    spans: () => count + otlp.spans.length,
    idsFile,
    async stop() {
      clearInterval(trim);
      await otlp.close();
    },
  };
}

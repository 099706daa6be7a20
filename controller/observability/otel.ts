/**
 * Starts the OpenTelemetry SDK from the standard OTEL_* variables: OTLP over HTTP/protobuf by
 * default, OTEL_SDK_DISABLED, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and the sampler
 * variables are read by the SDK itself. Tracing is off unless an OTLP endpoint (or an exporter) is
 * configured, so a controller without a collector sends nothing anywhere and pays nothing.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from './log.ts';
import { setLogMixin } from './log.ts';
import { activeTraceIds } from './tracing.ts';

export interface Telemetry {
  enabled: boolean;
  shutdown(): Promise<void>;
}

/** The version in package.json (the image ships it beside controller/); "unknown" when unreadable. */
function serviceVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER);
}

export async function startTelemetry(log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  if (!tracingWanted(env)) return { enabled: false, shutdown: async () => {} };
  // Loaded only when tracing is on: the SDK takes seconds to import on a busy node.
  const [{ NodeSDK }, { resourceFromAttributes }, { UndiciInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  const attrs: Record<string, string> = { 'service.version': serviceVersion() };
  if (!env.OTEL_SERVICE_NAME) attrs['service.name'] = 'jirasync';
  if (env.POD_NAME) attrs['k8s.pod.name'] = env.POD_NAME;
  if (env.POD_NAMESPACE) attrs['k8s.namespace.name'] = env.POD_NAMESPACE;
  // HTTP client spans for fetch/undici: the Kubernetes client (status writes, Secrets, Events) and
  // jira.js. Only inside a span of ours, so Lease renewals and watches do not each make a trace.
  const undici = new UndiciInstrumentation({ requireParentforSpans: true });
  const sdk = new NodeSDK({ resource: resourceFromAttributes(attrs), instrumentations: [undici] });
  sdk.start();
  setLogMixin(() => activeTraceIds());
  log.info('tracing enabled (OTLP)');
  return { enabled: true, shutdown: () => sdk.shutdown() };
}

/**
 * The structured logger: JSON lines to stdout through pino, level from LOG_LEVEL (default info).
 * Every string that reaches a log line is passed through redact(), so a secret that slips into
 * an error message is masked here too. Child loggers carry namespace/name (and trace ids, which
 * the tracing setup adds through the mixin hook); withLogFields() adds fields to every line of a task.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';
import { redact } from './redact.ts';

export type { Logger };

let mixin: () => Record<string, unknown> = () => ({});

/** Lets the tracing setup add trace_id/span_id of the active span to every line. */
export function setLogMixin(fn: () => Record<string, unknown>): void {
  mixin = fn;
}

const fields = new AsyncLocalStorage<Record<string, unknown>>();

/**
 * Runs `fn` with `extra` (e.g. namespace/name of a JIRASync) added to every log line written
 * while it runs, by any logger, in any layer it calls: the git and Jira layers keep their own
 * loggers and still say which sync a line belongs to.
 */
export function withLogFields<T>(extra: Record<string, unknown>, fn: () => T): T {
  return fields.run({ ...fields.getStore(), ...extra }, fn);
}

function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) return { type: value.name, message: redact(value.message) };
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, depth + 1)]));
}

/** Creates the root logger; tests pass a destination to capture lines. */
export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'jirasync' },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactDeep(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>;
          method.apply(this, redacted);
        },
      },
      mixin: () => ({ ...fields.getStore(), ...mixin() }),
    },
    (opts.destination ?? process.stdout) as pino.DestinationStream,
  );
}

/** The process-wide logger. */
export const log: Logger = createLogger();

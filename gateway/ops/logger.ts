import type { LogLevel } from '../config';

export type { LogLevel };
export type LogFields = Record<string, unknown>;

/** A structured logger: one JSON object per line, with `time`, `level`, `msg` and the given fields. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{stream: id}`). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Where lines go. Default `process.stdout`, as container runtimes collect it. */
  stream?: { write(line: string): unknown };
  /** Fields on every line. */
  base?: LogFields;
  /** Clock, for tests. */
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(['time', 'level', 'msg']);
// Belt and braces for design §7 ("nothing sensitive is logged"): a field named like a credential never
// reaches the log, whoever passes it.
const SENSITIVE = /(token|authorization|password|secret|cookie|api[-_]?key)$/i;

/** Creates a JSON-lines logger. Logging never throws: circular or hostile fields are rendered, not raised. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? 'info'] ?? RANK.info;
  const stream = options.stream ?? process.stdout;
  const now = options.now ?? (() => new Date());
  return make(options.base ?? {});

  function make(bound: LogFields): Logger {
    const write = (level: LogLevel) => (msg: string, fields?: LogFields) => {
      if (RANK[level] < threshold) return;
      try {
        stream.write(`${line(level, msg, bound, fields)}\n`);
      } catch {
        // A closed or broken stream must not take the bridge down with it.
      }
    };
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      child: (fields) => make({ ...bound, ...fields }),
    };
  }

  function line(level: LogLevel, msg: string, bound: LogFields, fields: LogFields | undefined): string {
    const record: LogFields = { time: safe(() => now().toISOString(), ''), level, msg: String(msg) };
    for (const source of [bound, fields ?? {}]) {
      for (const key of safe(() => Object.keys(source), [])) {
        // A field may not overwrite the line's own time, level or msg; keep it under another name.
        record[RESERVED.has(key) ? `field.${key}` : key] = safe(() => source[key], '[unreadable]');
      }
    }
    return safe(() => JSON.stringify(record, replacer()), () => JSON.stringify({ time: record.time, level, msg: record.msg, logError: 'fields could not be serialised' }));
  }
}

/** A JSON.stringify replacer that marks cycles, expands errors and stringifies bigints and functions. */
function replacer() {
  const ancestors: object[] = [];
  return function (this: unknown, key: string, value: unknown): unknown {
    // `this` is the holder: trim the ancestor chain back to it, so shared (non-circular) objects still print.
    if (key !== '' && typeof this === 'object' && this !== null) {
      while (ancestors.length && ancestors.at(-1) !== this) ancestors.pop();
    }
    if (key !== '' && SENSITIVE.test(key)) return '[redacted]';
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function' || typeof value === 'symbol') return `[${typeof value}]`;
    if (typeof value !== 'object' || value === null) return value;
    if (ancestors.includes(value)) return '[Circular]';
    ancestors.push(value);
    if (!(value instanceof Error)) return value;
    // Errors have no enumerable fields; print the useful ones (the original stays an ancestor, for causes).
    const fields = errorFields(value);
    ancestors.push(fields);
    return fields;
  };
}

function errorFields(error: Error): LogFields {
  const out: LogFields = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.stack) out.stack = error.stack;
  if (error.cause !== undefined) out.cause = error.cause;
  return out;
}

function safe<T>(get: () => T, fallback: T | (() => T)): T {
  try {
    return get();
  } catch {
    return typeof fallback === 'function' ? (fallback as () => T)() : fallback;
  }
}

import type { Context } from 'hono';

/** Kubernetes-style warnings: one `Warning: 299 - "..."` header each (quotes and newlines escaped). */
export function setWarningHeaders(c: Context, warnings: { path: string; message: string; object?: string }[]): void {
  for (const w of warnings.slice(0, 20)) {
    const text = `${w.object ? `${w.object}: ` : ''}${w.path ? `${w.path}: ` : ''}${w.message}`.replace(/["\\]/g, "'").replace(/[\r\n]+/g, ' ')
      // Header values are bytes; keep them ASCII.
      .replace(/[^\x20-\x7e]/g, '?');
    c.header('warning', `299 - "${text}"`, { append: true });
  }
}

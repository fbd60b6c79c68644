/** A user mistake found while translating; errors refuse the change (409), warnings are reported. */
export interface Diagnostic {
  /** `Kind/namespace/name` of the object at fault. */
  source: string;
  /** Path of the offending field in that object, e.g. `spec.http[0].route[0].destination.subset`. */
  path: string;
  message: string;
}

/** Collects diagnostics while a translation runs. */
export class Diagnostics {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  // A rule rendered for several ports or gateways would otherwise report the same problem each time.
  private readonly seen = new Set<string>();
  error(source: string, path: string, message: string): void {
    if (this.first('E', source, path, message)) this.errors.push({ source, path, message });
  }
  warn(source: string, path: string, message: string): void {
    if (this.first('W', source, path, message)) this.warnings.push({ source, path, message });
  }
  private first(...parts: string[]): boolean {
    const key = parts.join('\u0000');
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

/**
 * Bindings that count what the edge asks of them: D1 statements (alone or batched) with the rows D1
 * says they read and wrote (result meta, as Cloudflare bills them), and R2 gets and puts. Real D1 and
 * R2 underneath; only the counting is added.
 */

export interface D1Counts {
  reads: number;
  writes: number;
  rowsRead: number;
  rowsWritten: number;
  statements: string[];
  /** Rows read per statement, in order (batched ones by their SQL). */
  rowsBy: [string, number][];
}

export function countingD1(db: D1Database) {
  const counts: D1Counts = { reads: 0, writes: 0, rowsRead: 0, rowsWritten: 0, statements: [], rowsBy: [] };
  const record = (sql: string) => {
    counts[/^\s*select/i.test(sql) ? 'reads' : 'writes']++;
    counts.statements.push(sql);
  };
  const meter = (result: unknown, sql: string) => {
    const meta = (result as { meta?: { rows_read?: number; rows_written?: number } } | null)?.meta;
    counts.rowsBy.push([sql, meta?.rows_read ?? 0]);
    counts.rowsRead += meta?.rows_read ?? 0;
    counts.rowsWritten += meta?.rows_written ?? 0;
    return result;
  };
  const real = new WeakMap<object, D1PreparedStatement>();
  const sqlOf = new WeakMap<object, string>();
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args), sql);
        if (prop === 'all' || prop === 'raw' || prop === 'run' || prop === 'first') {
          return async (...args: unknown[]) => {
            record(sql);
            // first() and raw() return no meta: run them as all() to count their rows too.
            if (prop === 'first' || prop === 'raw') meter(await target.all(), sql);
            const result = await (target[prop] as (...a: unknown[]) => Promise<unknown>)(...args);
            return prop === 'first' || prop === 'raw' ? result : meter(result, sql);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    real.set(proxy, stmt);
    sqlOf.set(proxy, sql);
    return proxy;
  };
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql);
      if (prop === 'batch') {
        return async (stmts: D1PreparedStatement[]) => {
          for (const s of stmts) record(sqlOf.get(s) ?? '?');
          const results = await target.batch(stmts.map((s) => real.get(s) ?? s));
          results.forEach((r, i) => meter(r, sqlOf.get(stmts[i]!) ?? '?'));
          return results;
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: proxy, counts, reset: () => Object.assign(counts, { reads: 0, writes: 0, rowsRead: 0, rowsWritten: 0, statements: [], rowsBy: [] }) };
}

export function countingR2(bucket: R2Bucket) {
  const counts = { gets: 0, puts: 0, bytesRead: 0 };
  const proxy = new Proxy(bucket, {
    get(target, prop) {
      if (prop === 'get') {
        return async (...args: Parameters<R2Bucket['get']>) => {
          counts.gets++;
          const object = await target.get(...args);
          counts.bytesRead += object?.size ?? 0;
          return object;
        };
      }
      if (prop === 'put') {
        return (...args: Parameters<R2Bucket['put']>) => {
          counts.puts++;
          return target.put(...args);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { bucket: proxy, counts, reset: () => Object.assign(counts, { gets: 0, puts: 0, bytesRead: 0 }) };
}

/**
 * The distinct sourceLabels selectors the rendered routes use, numbered in the order first met.
 * A view lists the numbers its proxy's labels match, so proxies matching the same selectors share
 * one snapshot however their other labels differ.
 */
export class SourceSelectors {
  readonly list: Record<string, string>[] = [];
  private readonly byKey = new Map<string, number>();

  indexOf(labels: Record<string, string>): number {
    const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const key = JSON.stringify(sorted);
    let i = this.byKey.get(key);
    if (i === undefined) {
      i = this.list.push(sorted) - 1;
      this.byKey.set(key, i);
    }
    return i;
  }
}

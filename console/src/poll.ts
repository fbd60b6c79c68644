import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api';

export interface Polled<T> {
  data?: T;
  error?: string;
  /** Load again now (after an action), then keep polling. */
  reload(): void;
}

/**
 * Live data: `load` runs, then again `everyMs` after each answer (five times slower in a hidden tab).
 * `load` may hold its request open with the API's `?wait=` (it gets the last answer to decide), so a
 * change shows as soon as the edge sees it. A request is never aborted: an answer that comes after the
 * page moved on is dropped.
 */
export function usePoll<T>(key: string, load: (previous: T | undefined) => Promise<T>, everyMs = 2000): Polled<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: string }>({ key });
  const [generation, setGeneration] = useState(0);
  const latest = useRef<T | undefined>(undefined);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const data = await load(latest.current);
        if (!live) return;
        latest.current = data;
        setState({ key, data });
      } catch (err) {
        if (!live) return;
        setState((s) => ({ key, data: s.key === key ? s.data : undefined, error: errorText(err) }));
      }
      timer = setTimeout(run, document.hidden ? everyMs * 5 : everyMs);
    };
    latest.current = undefined;
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, generation]);
  const current = state.key === key ? state : { key };
  return { data: current.data, error: current.error, reload: () => setGeneration((g) => g + 1) };
}

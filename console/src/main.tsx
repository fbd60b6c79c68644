import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, onUnauthorized, token } from './api';
import { HistoryPage, RevisionPage } from './pages/history';
import { MeshPage } from './pages/mesh';
import { ProxiesPage } from './pages/proxies';
import { RolloutPage, RolloutsPage } from './pages/rollouts';

/** The web console: four pages over the edge's API, routed by the URL's #fragment (the server serves one page). */

const PAGES = [
  { id: 'mesh', title: 'Services' },
  { id: 'proxies', title: 'Proxies' },
  { id: 'history', title: 'History' },
  { id: 'rollouts', title: 'Rollouts' },
] as const;

function useHashPath(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean);
}

function Page({ path }: { path: string[] }) {
  const [page, id] = path;
  const n = Number(id);
  if (page === 'proxies') return <ProxiesPage />;
  if (page === 'history') return id && Number.isSafeInteger(n) && n > 0 ? <RevisionPage key={n} n={n} /> : <HistoryPage />;
  if (page === 'rollouts') return id && Number.isSafeInteger(n) && n > 0 ? <RolloutPage key={n} id={n} /> : <RolloutsPage />;
  return <MeshPage />;
}

/** Asks for an API token (config:read to look, config:write to act) and checks it before keeping it for this tab. */
function SignIn({ reason, onToken }: { reason?: string; onToken: (t: string) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(reason);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = value.trim();
    if (!t) return setError('Paste an API token first.');
    setBusy(true);
    token.set(t);
    try {
      await api('/revisions?limit=1');
      onToken(t);
    } catch (err) {
      token.clear();
      setError(err instanceof ApiError && err.status === 403 ? `This token cannot read the config (it needs the config:read scope): ${err.message}` : err instanceof ApiError && err.status === 401 ? `The edge refused this token: ${err.message}` : String(err));
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={submit} class="card">
        <h1>xdsflare</h1>
        <p>Paste an API token. It stays in this tab only (sessionStorage) and is sent as a Bearer header to this edge.</p>
        <label>
          API token
          <input type="password" name="token" autocomplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} autofocus />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <p class="muted small">
          <code>npm start</code> prints the admin token; a narrower one (<code>config:read</code> to look, <code>config:write</code> to act) is a <code>POST /api/v1/tokens</code> away.
        </p>
      </form>
    </main>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(token.get() !== null);
  const [reason, setReason] = useState<string>();
  const path = useHashPath();
  useEffect(
    () =>
      onUnauthorized((message) => {
        token.clear();
        setReason(`Signed out: ${message}`);
        setSignedIn(false);
      }),
    [],
  );
  if (!signedIn) return <SignIn reason={reason} onToken={() => setSignedIn(true)} />;
  const current = PAGES.find((p) => p.id === path[0])?.id ?? 'mesh';
  return (
    <>
      <header class="top">
        <a class="brand" href="#/mesh">
          xdsflare
        </a>
        <nav>
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} class={p.id === current ? 'active' : ''} aria-current={p.id === current ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <button
          class="link signout"
          onClick={() => {
            token.clear();
            setReason(undefined);
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Page path={path} />
      </main>
    </>
  );
}

const root = document.getElementById('app')!;
// The page's own "Loading" line is static HTML: replaced, not diffed into.
root.replaceChildren();
render(<App />, root);

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api';

export const Loading = () => <p class="muted loading">Loading…</p>;

export const ErrorLine = ({ text }: { text: string }) => (
  <p class="error" role="alert">
    {text}
  </p>
);

/** A state word in its colour: SYNCED, NACK, converged, aborted, … */
export const Badge = ({ text, tone }: { text: string; tone?: string }) => <span class={`badge ${tone ?? text.toLowerCase().replace(/[^a-z]+/g, '-')}`}>{text}</span>;

/**
 * A modal confirmation (the browser's <dialog>): nothing is sent until the operator says so. The
 * action's error, if any, is shown in the dialog, which stays open.
 */
export function Confirm(props: { title: string; confirmLabel: string; danger?: boolean; children?: ComponentChildren; onConfirm: () => Promise<void>; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await props.onConfirm();
      ref.current?.close();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="confirm" onClose={props.onClose}>
      <form onSubmit={submit}>
        <h3>{props.title}</h3>
        {props.children}
        {error && <ErrorLine text={error} />}
        <div class="actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={busy}>
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

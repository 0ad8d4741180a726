/** Sign-in: the tenant's API key, checked against the edge before it is kept for this tab. */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { Api } from "../api.ts";
import { ErrorNote } from "../components.tsx";

export function SignIn(props: { onSignedIn(api: Api): void }): JSX.Element {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const api = new Api(key.trim());
    try {
      await api.verify();
      props.onSignedIn(api);
    } catch (err) {
      setError(`Sign-in failed: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main">
      <h1>LLM-SegNet</h1>
      <p class="muted">Semi-supervised 3D segmentation guided by LLM task knowledge.</p>
      <form onSubmit={submit} class="card">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="current-password"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          required
          autofocus
        />
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? "Checking…" : "Sign in"}
        </button>
        <ErrorNote message={error} />
        <p class="muted small">
          Your operator creates keys with the admin API; the key stays in this tab only.
        </p>
      </form>
    </main>
  );
}

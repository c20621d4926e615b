// The small form that takes an API key or an admin token, and the line that
// says one is in use (with a way to forget it).
import { type FormEvent, useState } from 'react';

export function SignIn({ credential, onChange, why }: { credential: string; onChange: (v: string) => void; why: string }) {
  const [draft, setDraft] = useState('');
  if (credential)
    return (
      <div className="signin signin--on">
        <span>Signed in with an API key or token (kept in this tab only).</span>
        <button type="button" onClick={() => onChange('')}>
          Sign out
        </button>
      </div>
    );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft.trim()) onChange(draft.trim());
    setDraft('');
  };
  return (
    <form className="signin" onSubmit={submit} aria-label="Sign in">
      <label htmlFor="credential">API key or admin token</label>
      <input
        id="credential"
        type="password"
        autoComplete="off"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
      />
      <button type="submit">Sign in</button>
      <p className="hint">{why}</p>
    </form>
  );
}

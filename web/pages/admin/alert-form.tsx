// Create or edit an alert: every field of the schema (docs/alerts.md), the
// API's 400s shown beside the field they name, a 409 version conflict shown
// with the alert as it now stands (to load and edit again), and the reach
// preview (POST /api/alerts/preview) of what the form holds.
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api, errorText } from '../shared/credentials';
import { ALERT_TYPES, EMPTY, type FormValues, fieldOf, fromAlert, TARGETS, toAlert } from './alert-form-model';

interface Props {
  credential: string;
  /** The alert being edited, or null for a new one. */
  editing: any | null;
  onDone: (message: string) => void;
  onCancel: () => void;
}

export function AlertForm({ credential, editing, onDone, onCancel }: Props) {
  const [v, setV] = useState<FormValues>(editing ? fromAlert(editing) : EMPTY);
  const [version, setVersion] = useState<number | null>(editing?.version ?? null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [conflict, setConflict] = useState<any | null>(null);
  const [reach, setReach] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setV(editing ? fromAlert(editing) : EMPTY);
    setVersion(editing?.version ?? null);
    setErrors({});
    setFailure(null);
    setConflict(null);
    setReach(null);
  }, [editing?.id, editing?.version]);

  const set = <K extends keyof FormValues>(k: K) => (value: FormValues[K]) => setV((old) => ({ ...old, [k]: value }));
  const body = () => {
    const r = toAlert(v);
    if ('field' in r) {
      setErrors({ [r.field]: r.message });
      return null;
    }
    return r.body;
  };
  const refused = (a: { status: number; body: any }) => {
    const e = a.body?.error;
    if (a.status == 400 && e?.field) {
      setErrors({ [fieldOf(e.field)]: e.message });
      setFailure(`Not saved: ${e.field} is not valid.`);
    } else if (a.status == 409 && e?.code == 'version_conflict') {
      setConflict(a.body.current ?? e.current ?? null);
      setFailure(`Not saved: ${e.message}`);
    } else setFailure(errorText(a));
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setErrors({});
    setFailure(null);
    setConflict(null);
    const b = body();
    if (!b) return;
    setBusy(true);
    try {
      const a = editing
        ? await api(credential, 'PUT', `/api/alerts/${editing.id}`, { ...b, version })
        : await api(credential, 'POST', '/api/alerts', b);
      if (a.status < 300) onDone(editing ? `Saved alert #${a.body.id} (version ${a.body.version}).` : `Created alert #${a.body.id}.`);
      else refused(a);
    } catch {
      setFailure('the daemon cannot be reached');
    } finally {
      setBusy(false);
    }
  };
  const preview = async () => {
    setErrors({});
    setReach(null);
    const b = body();
    if (!b) return;
    const a = await api(credential, 'POST', '/api/alerts/preview', b);
    if (a.status == 200) setReach(`Reaches ${a.body.streams} stream${a.body.streams == 1 ? '' : 's'} of ${a.body.users} signed-in user${a.body.users == 1 ? '' : 's'} now.`);
    else refused(a);
  };

  const field = (k: keyof FormValues, label: string, input: ReactNode, hint?: string) => (
    <div className={'field' + (errors[k] ? ' field--invalid' : '')} key={k}>
      <label htmlFor={'f-' + k}>{label}</label>
      {input}
      {hint && <small className="hint">{hint}</small>}
      {errors[k] && (
        <small className="error" id={'e-' + k} role="alert">
          {errors[k]}
        </small>
      )}
    </div>
  );
  const text = (k: keyof FormValues, label: string, hint?: string, type = 'text') =>
    field(
      k,
      label,
      <input
        id={'f-' + k}
        type={type}
        value={v[k] as string}
        aria-invalid={!!errors[k]}
        aria-describedby={errors[k] ? 'e-' + k : undefined}
        onChange={(e) => set(k)(e.target.value as never)}
      />,
      hint,
    );
  const area = (k: keyof FormValues, label: string, hint?: string) =>
    field(
      k,
      label,
      <textarea id={'f-' + k} rows={3} value={v[k] as string} aria-invalid={!!errors[k]} onChange={(e) => set(k)(e.target.value as never)} />,
      hint,
    );
  const check = (k: 'dismissible' | 'persistent' | 'requireAuth', label: string) => (
    <label className="check" key={k}>
      <input type="checkbox" checked={v[k]} onChange={(e) => set(k)(e.target.checked)} /> {label}
    </label>
  );
  const select = (k: 'alert_type' | 'target', label: string, options: string[]) =>
    field(
      k,
      label,
      <select id={'f-' + k} value={v[k]} onChange={(e) => set(k)(e.target.value)}>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>,
    );

  return (
    <form className="alert-form" onSubmit={submit} aria-labelledby="h-form" noValidate>
      <h2 id="h-form">{editing ? `Edit alert #${editing.id} (version ${version})` : 'New alert'}</h2>
      <fieldset>
        <legend>Content</legend>
        {text('title', 'Title')}
        {area('message', 'Message')}
        {area('details', 'Details')}
        {select('alert_type', 'Type', ALERT_TYPES)}
        {text('priority', 'Priority', '0–10, higher shows first', 'number')}
        {text('icon', 'Icon', 'an identifier the page maps to an icon')}
        {area('actions', 'Actions (JSON)', '[{"label": "Status", "url": "https://…", "style": "link"}]')}
        {area('metadata', 'Metadata (JSON)')}
      </fieldset>
      <fieldset>
        <legend>Behaviour</legend>
        {check('dismissible', 'Dismissible')}
        {check('persistent', 'Persistent (kept across reloads, never auto-dismissed)')}
        {text('starts_at', 'Starts at', 'empty: now; your local time', 'datetime-local')}
        {text('expires_at', 'Expires at', 'empty: never; your local time', 'datetime-local')}
      </fieldset>
      <fieldset>
        <legend>Who sees it</legend>
        {select('target', 'Target', TARGETS)}
        {text('targetUsers', 'Target users', 'comma-separated; for user-specific')}
        {text('targetRoles', 'Target roles', 'comma-separated; for role-based')}
        {text('targetPermissions', 'Target permissions', 'comma-separated; for permission-based')}
        {text('excludeUsers', 'Exclude users', 'comma-separated')}
        {check('requireAuth', 'Signed-in users only')}
      </fieldset>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {editing ? 'Save' : 'Create'}
        </button>
        <button type="button" className="secondary" onClick={preview}>
          Preview reach
        </button>
        {editing && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {reach && (
        <p className="ok" role="status" data-testid="reach">
          {reach}
        </p>
      )}
      {failure && (
        <p className="error" role="alert" data-testid="form-error">
          {failure}
        </p>
      )}
      {conflict && (
        <div className="conflict" role="alert">
          <p>
            Now at version {conflict.version}, “{conflict.title}”, changed by {conflict.updated_by ?? 'someone'}.
          </p>
          <button
            type="button"
            onClick={() => {
              setV(fromAlert(conflict));
              setVersion(conflict.version);
              setConflict(null);
              setFailure(null);
            }}
          >
            Load their version
          </button>
        </div>
      )}
    </form>
  );
}

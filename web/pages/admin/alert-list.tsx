// The alerts (GET /api/alerts, newest first), with edit and a two-step delete
// (DELETE with If-Match: the version shown, so a changed alert is not deleted
// unseen).
import { useState } from 'react';
import { api, errorText } from '../shared/credentials';

interface Props {
  credential: string;
  alerts: any[];
  total: number;
  onEdit: (alert: any) => void;
  onChanged: (message: string) => void;
}

function when(iso?: string): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

export function AlertList({ credential, alerts, total, onEdit, onChanged }: Props) {
  const [confirming, setConfirming] = useState<number | null>(null);
  const remove = async (a: any) => {
    setConfirming(null);
    const r = await api(credential, 'DELETE', `/api/alerts/${a.id}`, undefined, { 'If-Match': `"${a.version}"` });
    onChanged(r.status == 200 ? `Deleted alert #${a.id}.` : `Alert #${a.id} not deleted: ${errorText(r)}`);
  };
  if (!alerts.length) return <p className="meta">No alerts.</p>;
  return (
    <table className="table" data-testid="alerts">
      <caption className="meta">
        {alerts.length} of {total}
      </caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Title</th>
          <th scope="col">Type</th>
          <th scope="col">Priority</th>
          <th scope="col">Target</th>
          <th scope="col">Window</th>
          <th scope="col">Version</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr key={a.id} data-alert={a.id}>
            <td>{a.id}</td>
            <td>
              <strong>{a.title}</strong>
              {a.message && <div className="meta">{a.message}</div>}
            </td>
            <td>
              <span className={'tag tag--' + (a.alert_type || 'info')}>{a.alert_type || 'info'}</span>
            </td>
            <td>{a.priority}</td>
            <td>{a.target || 'all'}</td>
            <td className="meta">
              {a.starts_at || a.expires_at ? `${when(a.starts_at) || 'now'} → ${when(a.expires_at) || 'never'}` : 'always'}
            </td>
            <td>
              {a.version}
              {a.updated_by && <div className="meta">by {a.updated_by}</div>}
            </td>
            <td className="row-actions">
              <button type="button" className="secondary" onClick={() => onEdit(a)} aria-label={`Edit alert ${a.id}: ${a.title}`}>
                Edit
              </button>
              {confirming == a.id ? (
                <button type="button" className="danger" onClick={() => remove(a)} aria-label={`Confirm deleting alert ${a.id}`}>
                  Confirm delete
                </button>
              ) : (
                <button type="button" className="secondary" onClick={() => setConfirming(a.id)} aria-label={`Delete alert ${a.id}: ${a.title}`}>
                  Delete
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

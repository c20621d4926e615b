// The alert form's values and the API's alert (docs/alerts.md), both ways.
// The form holds text; an empty field is left out of the request, so the
// server's default applies. Lists are typed comma-separated; actions and
// metadata as JSON (the API checks them and names the field when they are wrong).

export const ALERT_TYPES = ['info', 'warning', 'error', 'success'];
export const TARGETS = ['all', 'authenticated', 'user-specific', 'role-based', 'permission-based', 'subscribers'];

export interface FormValues {
  title: string;
  message: string;
  details: string;
  alert_type: string;
  priority: string;
  icon: string;
  dismissible: boolean;
  persistent: boolean;
  starts_at: string;
  expires_at: string;
  actions: string;
  metadata: string;
  target: string;
  targetUsers: string;
  targetRoles: string;
  targetPermissions: string;
  excludeUsers: string;
  requireAuth: boolean;
}

export const EMPTY: FormValues = {
  title: '',
  message: '',
  details: '',
  alert_type: 'info',
  priority: '5',
  icon: '',
  dismissible: true,
  persistent: false,
  starts_at: '',
  expires_at: '',
  actions: '',
  metadata: '',
  target: 'all',
  targetUsers: '',
  targetRoles: '',
  targetPermissions: '',
  excludeUsers: '',
  requireAuth: false,
};

const LISTS = ['targetUsers', 'targetRoles', 'targetPermissions', 'excludeUsers'] as const;

/** A datetime-local value (the browser's local time) as ISO 8601 in UTC, and back. */
function toIso(local: string): string {
  const d = new Date(local);
  return isNaN(d.getTime()) ? local : d.toISOString();
}
function toLocal(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fromAlert(a: any): FormValues {
  const v: FormValues = { ...EMPTY };
  for (const k of ['title', 'message', 'details', 'alert_type', 'icon', 'target'] as const) if (a[k] != null) v[k] = String(a[k]);
  if (a.priority != null) v.priority = String(a.priority);
  v.dismissible = a.dismissible !== false;
  v.persistent = !!a.persistent;
  v.requireAuth = !!a.requireAuth;
  v.starts_at = toLocal(a.starts_at);
  v.expires_at = toLocal(a.expires_at);
  if (a.actions != null) v.actions = JSON.stringify(a.actions, null, 1);
  if (a.metadata != null) v.metadata = JSON.stringify(a.metadata, null, 1);
  for (const k of LISTS) if (Array.isArray(a[k])) v[k] = a[k].join(', ');
  return v;
}

/** The request body, or `{field, message}` when a JSON field does not parse. */
export function toAlert(v: FormValues): { body: Record<string, unknown> } | { field: string; message: string } {
  const body: Record<string, unknown> = { title: v.title };
  for (const k of ['message', 'details', 'icon'] as const) if (v[k].trim()) body[k] = v[k];
  body.alert_type = v.alert_type;
  const priority = Number(v.priority);
  body.priority = v.priority.trim() !== '' && Number.isFinite(priority) ? priority : v.priority;
  body.dismissible = v.dismissible;
  body.persistent = v.persistent;
  if (v.starts_at) body.starts_at = toIso(v.starts_at);
  if (v.expires_at) body.expires_at = toIso(v.expires_at);
  for (const k of ['actions', 'metadata'] as const) {
    if (!v[k].trim()) continue;
    try {
      body[k] = JSON.parse(v[k]);
    } catch (e) {
      return { field: k, message: `${k} is not JSON: ${(e as Error).message}` };
    }
  }
  body.target = v.target;
  for (const k of LISTS) {
    const items = v[k].split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length) body[k] = items;
  }
  if (v.requireAuth) body.requireAuth = true;
  return { body };
}

/** The form field an API error's `field` belongs to: `actions[1].url` → `actions`. */
export function fieldOf(apiField: string | undefined): string {
  return (apiField || '').replace(/[[.].*$/, '');
}

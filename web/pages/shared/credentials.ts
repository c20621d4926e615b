// The credential a page sends to the HTTP API: an API key or an admin token,
// typed into a small form and kept in sessionStorage (this tab, until it
// closes; never localStorage). Both go as `Authorization: Bearer`, which the
// daemon accepts for either (docs/protocol.md, "API keys").
import { useState } from 'react';

const KEY = 'ringcast-credential';

function stored(): string {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

export function useCredential(): [string, (value: string) => void] {
  const [value, set] = useState(stored);
  return [
    value,
    (v: string) => {
      try {
        if (v) sessionStorage.setItem(KEY, v);
        else sessionStorage.removeItem(KEY);
      } catch {
        // Storage refused (private mode): the credential lives as long as the page.
      }
      set(v);
    },
  ];
}

export interface ApiAnswer {
  status: number;
  body: any;
}

/** A call to the daemon's API with the credential; never throws for an HTTP status, only for a network failure. */
export async function api(credential: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const res = await fetch(path, {
    method,
    headers: {
      ...(credential && { Authorization: 'Bearer ' + credential }),
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: kept as text.
  }
  return { status: res.status, body: parsed };
}

/** The message of an API error body (`{"error": {"code", "message", "field"?}}`), or the status. */
export function errorText(a: ApiAnswer): string {
  const e = a.body?.error;
  if (e?.message) return `${a.status} ${e.code ? e.code + ': ' : ''}${e.message}`;
  return `HTTP ${a.status}`;
}

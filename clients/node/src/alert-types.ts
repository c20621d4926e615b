// The alerts (banners) of docs/alerts.md as this package sends and reads them:
// the product documents' SSEAlert with the daemon's targeting, scheduling and
// bookkeeping fields, what an admin sends to create, replace or patch one, and
// the answers of the alerts operations. Times are ISO 8601 strings.

import type { SSETargeting, SSETargetType } from './types.js';

/** The built-in alert types; a configured custom type ([alerts] custom_types) too. */
export type SSEAlertType = 'info' | 'warning' | 'error' | 'success' | (string & {});

/** A button or link on an alert: exactly one of `url` (http(s) or relative)
 *  and `action` (a name the page handles). */
export interface SSEAlertAction {
  label: string;
  url?: string;
  action?: string;
  /** Default 'primary'. */
  style?: 'primary' | 'secondary' | 'danger' | 'link';
}

/** The fields an admin sets (docs/alerts.md, "The alert"); left out, a field
 *  takes its default. Text fields are plain text: render them as text. */
/** Targeting as a publish's (SSETargeting): default 'all', or the kind the one
 *  target list given implies. */
export interface SSEAlertInput extends SSETargeting {
  title: string;
  message?: string;
  details?: string;
  /** Default 'info'. */
  alert_type?: SSEAlertType;
  /** 0–10, default 5; lists show higher first. */
  priority?: number;
  icon?: string;
  /** Default true. */
  dismissible?: boolean;
  /** Default false. */
  persistent?: boolean;
  /** ISO 8601 with Z or an offset: shown from then on (a scheduled alert). */
  starts_at?: string;
  /** ISO 8601: gone from every list at that time. */
  expires_at?: string;
  actions?: SSEAlertAction[];
  /** Any JSON (e.g. the seeds' customType / customData). */
  metadata?: unknown;
}

/** A JSON merge patch of an alert (RFC 7396): the fields to change; null
 *  resets one to its default; `metadata` merges member by member. */
export type SSEAlertPatch = { [K in keyof SSEAlertInput]?: SSEAlertInput[K] | null };

/** An alert as the daemon stores and shows it. */
export interface SSEAlert extends SSEAlertInput {
  id: number;
  alert_type: SSEAlertType;
  priority: number;
  dismissible: boolean;
  persistent: boolean;
  target: SSETargetType;
  created_at: string;
  updated_at: string;
  /** A token's subject, "api-key", or "socket". */
  created_by: string;
  updated_by: string;
  /** 1 when created, one more per change: send it back with a change. */
  version: number;
}

/** listAlerts' filters and page. */
export interface ListAlertsOptions {
  /** Only the alerts shown now (true), or only those not (scheduled, expired). */
  active?: boolean;
  type?: SSEAlertType;
  /** 1–500, default 50. */
  limit?: number;
  offset?: number;
}

/** A page of alerts, newest first. */
export interface AlertList {
  alerts: SSEAlert[];
  /** How many match the filters, on every page. */
  total: number;
  offset: number;
  limit: number;
}

/** Whom an alert would reach now: streams on the alerts channel (every shard)
 *  and their distinct users. */
export interface AlertPreview {
  streams: number;
  users: number;
}

// The console's only way to the daemon: the public API under /api/v1, with the bearer token of
// this tab. The token lives in sessionStorage (this tab, until it closes) and in memory; never in
// a URL, a cookie or localStorage. A 401 from any call ends the session with a message.
import { reactive } from 'vue';
import { t } from './i18n';

const KEY = 'sealdock.session';

export interface Session {
  token: string | null;
  tokenId: string | null;
  role: 'auditor' | 'admin' | null;
  label: string | null;
  /** why the user sees the sign-in form again, if not by choice */
  notice: string | null;
}

function restore(): Session {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Partial<Session> | null;
    if (s?.token && (s.role === 'auditor' || s.role === 'admin'))
      return { token: s.token, tokenId: s.tokenId ?? null, role: s.role, label: s.label ?? null, notice: null };
  } catch {
    // unreadable: start signed out
  }
  return { token: null, tokenId: null, role: null, label: null, notice: null };
}

export const session = reactive<Session>(restore());

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

export function signOut(notice: string | null = null): void {
  session.token = null;
  session.tokenId = null;
  session.role = null;
  session.label = null;
  session.notice = notice;
  sessionStorage.removeItem(KEY);
}

interface CallOptions {
  method?: string;
  reason?: string;
  body?: unknown;
  token?: string;
}

async function call(path: string, o: CallOptions = {}): Promise<Response> {
  const token = o.token ?? session.token;
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  // Header bytes are latin1: the reason travels percent-encoded (docs/api.md).
  if (o.reason !== undefined) headers['x-access-reason'] = encodeURIComponent(o.reason);
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: o.method ?? 'GET',
    headers,
    body: o.body !== undefined ? JSON.stringify(o.body) : null,
    cache: 'no-store',
    credentials: 'omit',
  });
  if (res.ok) return res;
  let problem: { detail?: string; code?: string; problems?: unknown } = {};
  try {
    problem = (await res.json()) as typeof problem;
  } catch {
    // not a problem document
  }
  if (res.status === 401 && o.token === undefined && session.token) signOut(t('sessionEnded'));
  const problems = Array.isArray(problem.problems) ? problem.problems.map(String) : [];
  throw new ApiError(res.status, problem.code ?? 'HTTP', problem.detail ?? `HTTP ${res.status}`, problems);
}

export async function api<T>(path: string, o: CallOptions = {}): Promise<T> {
  return (await (await call(path, o)).json()) as T;
}

/** Signs in: the token is checked by the API before it is kept. */
export async function signIn(token: string): Promise<void> {
  const s = await api<{ tokenId: string; role: string; label: string | null }>('/api/v1/session', { token });
  if (s.role !== 'auditor' && s.role !== 'admin') throw new ApiError(403, 'FORBIDDEN', t('dockToken'));
  session.token = token;
  session.tokenId = s.tokenId;
  session.role = s.role;
  session.label = s.label;
  session.notice = null;
  sessionStorage.setItem(KEY, JSON.stringify({ token, tokenId: s.tokenId, role: s.role, label: s.label }));
}

/** Downloads with the token and the reason as headers; the file is saved from a blob URL. */
export async function download(path: string, reason: string, fallbackName: string): Promise<string> {
  const res = await call(path, { reason });
  const disposition = res.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  const name = star ? decodeURIComponent(star[1]!) : fallbackName;
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

export const enc = encodeURIComponent;

// ---- the shapes the console reads (docs/api.md) ----

export interface Summary {
  id: string;
  state: string;
  caseNumber: string | null;
  originalName: string;
  sha256: string;
  size: number;
  dockId: string;
  deviceId: string | null;
  receivedAt: string;
  missing: string[];
  unconfirmed?: string[];
  stage?: string;
  error?: string;
}

export interface Elements {
  caseNumber?: string;
  recordedAt?: { start: string; durationSeconds?: number };
  place?: { text: string; lat?: number; lon?: number };
  collector?: { name: string; id?: string };
  purpose?: string;
}

export interface ArchiveObject {
  key: string;
  kind: string;
  sha256: string;
  size: number;
  verifiedAt: string | null;
  retainUntil: string | null;
  legalHold: boolean | number;
}

export interface Detail extends Summary {
  elements: Elements;
  elementSources: Record<string, string>;
  manifestRevision: number;
  legalHold: boolean;
  retainUntil: string | null;
  archive: ArchiveObject[];
  custody: { seq: number; at: string; actor: string; action: string; details: Record<string, unknown> }[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface AccessRow {
  seq: number;
  at: string;
  actor: string;
  what: string | null;
  method: string | null;
  reason: string | null;
  status: number | null;
  range: string | null;
  ticket: string | null;
}

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  evidenceId: string | null;
  details: Record<string, unknown>;
}

export const ELEMENT_KEYS = ['caseNumber', 'recordedAt', 'place', 'collector', 'purpose'] as const;
export type ElementKey = (typeof ELEMENT_KEYS)[number];

/** An element as one line of text (never HTML). */
export function elementText(e: Elements, k: ElementKey, formatTime: (iso: string) => string): string {
  switch (k) {
    case 'caseNumber':
      return e.caseNumber ?? '';
    case 'purpose':
      return e.purpose ?? '';
    case 'recordedAt':
      return e.recordedAt
        ? `${formatTime(e.recordedAt.start)}${e.recordedAt.durationSeconds !== undefined ? ` (${Math.round(e.recordedAt.durationSeconds)} s)` : ''}`
        : '';
    case 'place':
      return e.place
        ? `${e.place.text}${e.place.lat !== undefined && e.place.lon !== undefined ? ` (${e.place.lat}, ${e.place.lon})` : ''}`
        : '';
    case 'collector':
      return e.collector ? `${e.collector.name}${e.collector.id ? ` (${e.collector.id})` : ''}` : '';
  }
}

// A few client routes on the History API (the daemon answers every path outside /api/ and
// /assets/ with index.html). No router package: five patterns do not need one.
import { computed, ref } from 'vue';

export type Route =
  | { name: 'search'; query: URLSearchParams }
  | { name: 'case'; caseNumber: string }
  | { name: 'item'; id: string }
  | { name: 'status' }
  | { name: 'charts' }
  | { name: 'annotate' }
  | { name: 'audit'; query: URLSearchParams }
  | { name: 'not-found' };

const location = ref(window.location.pathname + window.location.search);
window.addEventListener('popstate', () => {
  location.value = window.location.pathname + window.location.search;
});

export function parse(href: string): Route {
  const url = new URL(href, window.location.origin);
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: 'search', query: url.searchParams };
  if (parts[0] === 'case' && parts.length === 2) return { name: 'case', caseNumber: parts[1]! };
  if (parts[0] === 'item' && parts.length === 2) return { name: 'item', id: parts[1]! };
  if (parts[0] === 'admin' && parts.length === 1) return { name: 'status' };
  if (parts[0] === 'admin' && parts[1] === 'charts') return { name: 'charts' };
  if (parts[0] === 'admin' && parts[1] === 'annotate') return { name: 'annotate' };
  if (parts[0] === 'admin' && parts[1] === 'audit') return { name: 'audit', query: url.searchParams };
  return { name: 'not-found' };
}

export const route = computed(() => parse(location.value));

export function navigate(href: string, replace = false): void {
  if (replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  location.value = window.location.pathname + window.location.search;
  window.scrollTo(0, 0);
}

/** Paths for links; case numbers are percent-encoded (（2026）湘行罚字第17号, A/2026/17). */
export const paths = {
  search: (q?: Record<string, string>) => `/${q && Object.keys(q).length ? `?${new URLSearchParams(q)}` : ''}`,
  case: (caseNumber: string) => `/case/${encodeURIComponent(caseNumber)}`,
  item: (id: string) => `/item/${encodeURIComponent(id)}`,
  status: () => '/admin',
  charts: () => '/admin/charts',
  annotate: () => '/admin/annotate',
  audit: (q?: Record<string, string>) =>
    `/admin/audit${q && Object.keys(q).length ? `?${new URLSearchParams(q)}` : ''}`,
};

/**
 * Where the visitor is: the page they are on, single-page navigation, and this visit as the
 * invitation rules need it (docs/protocol.md, "Embedding" and "Proactive invitations").
 *
 * The visit is counted in the page, in localStorage: `welcome` tells the widget the country
 * only, and the rules must be judged without asking the server every second.
 */
import type { SiteStorage } from './storage';

export interface Page {
  url: string | null;
  title: string;
  referrer: string | null;
}

export interface Visit {
  /** 1 for the visitor's first visit (on this browser). */
  number: number;
  startedAt: number;
  lastSeenAt: number;
  /** Page views of this visit, this one included. */
  pages: number;
  /** Where the visit came from: the referrer of its landing page. */
  referrer: string;
  /** The utm_* tags of the landing page. */
  utm: Record<string, string>;
}

// As on the server (helpline/visitors/actions.py): half an hour of silence starts a new visit.
const VISIT_GAP_MS = 30 * 60_000;

/** What the server is told about the page. Only http(s) URLs: the server refuses others. */
export function currentPage(): Page {
  const url = (value: string) => (/^https?:/i.test(value) ? value.slice(0, 2000) : null);
  return { url: url(location.href), title: document.title.slice(0, 500), referrer: url(document.referrer) };
}

function utmOf(href: string): Record<string, string> {
  const utm: Record<string, string> = {};
  try {
    new URL(href).searchParams.forEach((value, key) => {
      if (key.startsWith('utm_')) utm[key] = value;
    });
  } catch {
    /* not a URL we can read: no tags */
  }
  return utm;
}

/**
 * Counts a page view (a load, or a single-page navigation to another URL) into the visit
 * kept in storage, starting a new visit after a long silence. `startedAt`: when this page
 * view began (a load began before the chat module was imported).
 */
export function countPageView(storage: SiteStorage, startedAt: number): Visit {
  const now = Date.now();
  let visit = storage.json<Visit | null>('visit', null);
  if (!visit || !(now - visit.lastSeenAt < VISIT_GAP_MS)) {
    visit = {
      number: (visit?.number || 0) + 1,
      startedAt,
      lastSeenAt: now,
      pages: 0,
      referrer: document.referrer,
      utm: utmOf(location.href),
    };
  }
  visit.pages++;
  visit.lastSeenAt = now;
  storage.set('visit', JSON.stringify(visit));
  return visit;
}

/** The visit is still going on (the visitor is on the page): keeps it from timing out. */
export function touchVisit(storage: SiteStorage, visit: Visit): void {
  visit.lastSeenAt = Date.now();
  storage.set('visit', JSON.stringify(visit));
}

/**
 * Calls `onNavigate` after the page changed without a reload: history.pushState and
 * replaceState (wrapped, as they fire no event), popstate and hashchange.
 */
export function watchNavigation(onNavigate: () => void): void {
  for (const name of ['pushState', 'replaceState'] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      onNavigate();
      return result;
    };
  }
  addEventListener('popstate', onNavigate);
  addEventListener('hashchange', onNavigate);
}

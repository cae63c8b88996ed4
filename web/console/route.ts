/**
 * Routing inside /console/ (the server answers every /console/... path with the app):
 * /console/{unassigned|mine|all}[/{conversation id}], /console/visitors (live visitors),
 * /console/chat (the operator chat), /console/canned, /console/bans, the supervisors' and
 * admins' /console/monitor and /console/quality, /console/macros (every agent's, next to the canned
 * responses), and the admin's /console/teams, /console/admin (agents) and the settings pages:
 * /console/settings, /console/channels (Telegram and the other channels' inboxes),
 * /console/categories, /console/fields (custom fields), /console/routing (routing rules),
 * /console/sla (SLA policies), /console/forms (web forms), /console/reviewer (the automatic
 * reviewer's settings) and /console/integrations (API tokens, outgoing webhooks); and any
 * agent's /console/contacts/{id} (a contact: its conversations on every channel, its merges).
 */
import { VIEWS, type View } from './types';

export type Page =
  | 'monitor'
  | 'quality'
  | 'visitors'
  | 'chat'
  | 'canned'
  | 'macros'
  | 'bans'
  | 'teams'
  | 'admin'
  | 'channels'
  | 'categories'
  | 'fields'
  | 'routing'
  | 'sla'
  | 'forms'
  | 'reviewer'
  | 'integrations'
  | 'settings';
export type Route = { page: 'inbox'; view: View; id: number | null } | { page: 'contact'; id: number } | { page: Page };

const PAGES: readonly Page[] = ['monitor', 'quality', 'visitors', 'chat', 'canned', 'macros', 'bans', 'teams', 'admin', 'channels', 'categories', 'fields', 'routing', 'sla', 'forms', 'reviewer', 'integrations', 'settings'];
/** The settings and its sub-pages (settings-nav.tsx), in the order the sub-navigation lists them. */
export const SETTINGS_PAGES = ['settings', 'channels', 'categories', 'fields', 'routing', 'sla', 'forms', 'reviewer', 'integrations'] as const satisfies readonly Page[];
/** Pages only admins see. */
export const ADMIN_PAGES: readonly Page[] = ['teams', 'admin', ...SETTINGS_PAGES];
/** Pages for supervisors and admins. */
export const SUPERVISOR_PAGES: readonly Page[] = ['monitor', 'quality'];

const BASE = '/console/';
const VIEW_KEY = 'helpline.console.view';

/** The tab used last (default: all open conversations). */
export function storedView(): View {
  try {
    const view = localStorage.getItem(VIEW_KEY) as View | null;
    if (view && VIEWS.includes(view)) return view;
  } catch {
    /* storage blocked */
  }
  return 'all';
}

export function rememberView(view: View): void {
  try {
    localStorage.setItem(VIEW_KEY, view);
  } catch {
    /* storage blocked */
  }
}

export function parseRoute(pathname: string): Route {
  const parts = pathname.replace(/^\/console\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'contacts' && /^\d{1,15}$/.test(parts[1] || '')) return { page: 'contact', id: Number(parts[1]) };
  if (PAGES.includes(parts[0] as Page)) return { page: parts[0] as Page };
  const view = VIEWS.includes(parts[0] as View) ? (parts[0] as View) : storedView();
  const id = parts[0] === view && /^\d{1,15}$/.test(parts[1] || '') ? Number(parts[1]) : null;
  return { page: 'inbox', view, id };
}

export function routePath(route: Route): string {
  if (route.page === 'contact') return `${BASE}contacts/${route.id}`;
  if (route.page !== 'inbox') return `${BASE}${route.page}`;
  return `${BASE}${route.view}${route.id ? `/${route.id}` : ''}`;
}

/**
 * Routing inside /console/ (the server answers every /console/... path with the app):
 * /console/{unassigned|mine|all}[/{conversation id}] and /console/admin.
 */
import { VIEWS, type View } from './types';

export type Route = { page: 'inbox'; view: View; id: number | null } | { page: 'admin' };

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
  if (parts[0] === 'admin') return { page: 'admin' };
  const view = VIEWS.includes(parts[0] as View) ? (parts[0] as View) : storedView();
  const id = parts[0] === view && /^\d{1,15}$/.test(parts[1] || '') ? Number(parts[1]) : null;
  return { page: 'inbox', view, id };
}

export function routePath(route: Route): string {
  if (route.page === 'admin') return `${BASE}admin`;
  return `${BASE}${route.view}${route.id ? `/${route.id}` : ''}`;
}

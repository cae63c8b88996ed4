/**
 * The inbox list's filter (docs/protocol.md, "Filter"), without any UI: its query string, the
 * JSON a saved view keeps, whether a conversation belongs in the list as far as the console
 * can tell by itself, and the list's order.
 *
 * The view (unassigned / mine / all) is the tab, and so the route; everything else is the
 * `Filter`. "Assigned to me" and "unassigned" are those tabs, so `assignee_id` here only ever
 * names another agent.
 */
import { time } from './model';
import type { Category, Conversation, InboxFilter, Priority, SlaState, Sort, Status, View } from './types';

export interface Filter {
  status: Status[] | 'all';
  assignee_id: number | null;
  team_id: number | 'none' | null;
  priority: Priority[];
  category_id: number | null;
  /** All of them (lower-case). */
  tag: string[];
  channel: string[];
  inbox_id: number | null;
  sla: SlaState[];
  /** YYYY-MM-DD, inclusive, UTC days. */
  created_from: string | null;
  created_to: string | null;
  fields: Record<string, string>;
  /** Full-text search (the server's); '' for none. */
  q: string;
  sort: Sort;
}

export const DEFAULT_FILTER: Readonly<Filter> = {
  status: ['open'],
  assignee_id: null,
  team_id: null,
  priority: [],
  category_id: null,
  tag: [],
  channel: [],
  inbox_id: null,
  sla: [],
  created_from: null,
  created_to: null,
  fields: {},
  q: '',
  sort: 'recent',
};

export const cleanTag = (tag: string) => tag.split(/\s+/).filter(Boolean).join(' ').toLowerCase();

const sameList = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((item) => b.includes(item));

/** A saved view's filters as the list uses them: the tab it belongs on and the rest. */
export function fromSaved(saved: InboxFilter, meId: number | null): { view: View; filter: Filter } {
  let view: View = saved.view === 'mine' || saved.view === 'unassigned' ? saved.view : 'all';
  let assignee = typeof saved.assignee_id === 'number' ? saved.assignee_id : null;
  if (saved.assignee_id === 'none') view = 'unassigned';
  else if (assignee !== null && assignee === meId) {
    view = 'mine';
    assignee = null;
  }
  const list = <T>(value: T[] | undefined | null): T[] => (Array.isArray(value) ? [...value] : []);
  return {
    view,
    filter: {
      status: saved.status === 'all' ? 'all' : Array.isArray(saved.status) && saved.status.length ? [...saved.status] : ['open'],
      assignee_id: view === 'all' ? assignee : null,
      team_id: saved.team_id ?? null,
      priority: list(saved.priority),
      category_id: saved.category_id ?? null,
      tag: list(saved.tag).map(cleanTag).filter(Boolean),
      channel: list(saved.channel),
      inbox_id: saved.inbox_id ?? null,
      sla: list(saved.sla),
      created_from: saved.created_from || null,
      created_to: saved.created_to || null,
      fields: { ...(saved.fields || {}) },
      q: (saved.q || '').trim(),
      sort: saved.sort || 'recent',
    },
  };
}

/** The filters a saved view keeps: only what differs from the defaults. */
export function toSaved(view: View, filter: Filter): InboxFilter {
  const saved: InboxFilter = {};
  if (view !== 'all') saved.view = view;
  if (filter.status === 'all' || !sameList(filter.status, DEFAULT_FILTER.status as Status[])) saved.status = filter.status === 'all' ? 'all' : [...filter.status];
  if (filter.assignee_id !== null && view === 'all') saved.assignee_id = filter.assignee_id;
  if (filter.team_id !== null) saved.team_id = filter.team_id;
  if (filter.priority.length) saved.priority = [...filter.priority];
  if (filter.category_id !== null) saved.category_id = filter.category_id;
  if (filter.tag.length) saved.tag = [...filter.tag];
  if (filter.channel.length) saved.channel = [...filter.channel];
  if (filter.inbox_id !== null) saved.inbox_id = filter.inbox_id;
  if (filter.sla.length) saved.sla = [...filter.sla];
  if (filter.created_from) saved.created_from = filter.created_from;
  if (filter.created_to) saved.created_to = filter.created_to;
  if (Object.keys(filter.fields).length) saved.fields = { ...filter.fields };
  if (filter.q.trim()) saved.q = filter.q.trim();
  if (filter.sort !== 'recent') saved.sort = filter.sort;
  return saved;
}

/** The list request's query string (without paging). */
export function toQuery(view: View, filter: Filter): URLSearchParams {
  const params = new URLSearchParams({ view });
  const saved = toSaved(view, filter);
  params.set('status', filter.status === 'all' ? 'all' : filter.status.join(','));
  for (const [key, value] of Object.entries(saved)) {
    if (key === 'view' || key === 'status' || value === null || value === undefined) continue;
    if (key === 'fields') {
      for (const [field, wanted] of Object.entries(value as Record<string, string>)) params.set(`field.${field}`, wanted);
    } else if (key === 'tag') {
      for (const tag of value as string[]) params.append('tag', tag); // all of them
    } else if (Array.isArray(value)) params.set(key, value.join(','));
    else params.set(key, String(value));
  }
  return params;
}

/** One string per distinct list (the key of its loaded pages). */
export function filterKey(view: View, filter: Filter): string {
  const saved = toSaved(view, filter);
  const sorted = (value: unknown) => (Array.isArray(value) ? [...value].sort() : value);
  return JSON.stringify(Object.keys(saved).sort().map((key) => [key, sorted((saved as Record<string, unknown>)[key])]));
}

/** How many parts narrow the list (for the "Filters" button), not counting search and sort. */
export function narrowingCount(filter: Filter): number {
  const saved = toSaved('all', filter);
  return Object.keys(saved).filter((key) => key !== 'q' && key !== 'sort').length;
}

/**
 * Where a conversation stands against its SLA by this clock: null when no target runs;
 * ok before `warn_at`, at risk from it, breached from `due_at`.
 */
export function slaState(c: Conversation, now: number): SlaState | null {
  const due = c.sla?.due_at ? time(c.sla.due_at) : 0;
  if (!due) return null;
  if (now >= due) return 'breached';
  const warn = c.sla?.warn_at ? time(c.sla.warn_at) : 0;
  return warn && now >= warn ? 'at_risk' : 'ok';
}

/** A category and everything below it. */
export function subtree(categories: readonly Category[], root: number): Set<number> {
  const found = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const category of categories) {
      if (category.parent_id !== null && found.has(category.parent_id) && !found.has(category.id)) {
        found.add(category.id);
        grew = true;
      }
    }
  }
  return found;
}

export interface MatchContext {
  meId: number;
  now: number;
  /** The account's categories, once loaded (a category filter takes in subcategories). */
  categories: readonly Category[] | null;
}

const startOfDay = (day: string) => Date.parse(`${day}T00:00:00Z`);

/**
 * Whether the conversation belongs in the list: true or false when the console can tell from
 * the summary, null when only the server can (full-text search, a category tree not loaded).
 */
export function matches(c: Conversation, view: View, filter: Filter, ctx: MatchContext): boolean | null {
  if (filter.status !== 'all' && !filter.status.includes(c.status as Status)) return false;
  if (view === 'mine' && c.assignee?.id !== ctx.meId) return false;
  if (view === 'unassigned' && c.assignee) return false;
  if (filter.assignee_id !== null && c.assignee?.id !== filter.assignee_id) return false;
  if (filter.team_id === 'none' && c.team) return false;
  if (typeof filter.team_id === 'number' && c.team?.id !== filter.team_id) return false;
  if (filter.priority.length && !filter.priority.includes(c.priority || 'normal')) return false;
  if (filter.tag.length && !filter.tag.every((tag) => (c.tags || []).includes(tag))) return false;
  if (filter.channel.length && !filter.channel.includes(c.inbox.channel)) return false;
  if (filter.inbox_id !== null && c.inbox.id !== filter.inbox_id) return false;
  if (filter.sla.length) {
    const state = slaState(c, ctx.now);
    if (!state || !filter.sla.includes(state)) return false;
  }
  const created = time(c.created_at);
  if (filter.created_from && created < startOfDay(filter.created_from)) return false;
  if (filter.created_to && created >= startOfDay(filter.created_to) + 86_400_000) return false;
  let sure = true;
  for (const [key, wanted] of Object.entries(filter.fields)) {
    const value = c.fields?.[key];
    if (value === undefined || value === null) return false;
    if (Array.isArray(value)) {
      if (!value.includes(wanted)) return false;
    } else if (typeof value === 'number') {
      if (Number(wanted) !== value) return false;
      if (String(value) !== wanted) sure = false; // "1042.0": the server compares text
    } else if (value !== wanted) return false;
  }
  if (filter.category_id !== null) {
    if (c.category_id === null || c.category_id === undefined) return false;
    if (c.category_id !== filter.category_id) {
      if (!ctx.categories) sure = false;
      else if (!subtree(ctx.categories, filter.category_id).has(c.category_id)) return false;
    }
  }
  if (filter.q.trim()) sure = false;
  return sure ? true : null;
}

/** The list's order, as the server sorts it (ties by id). */
export function comparator(sort: Sort): (a: Conversation, b: Conversation) => number {
  const later = (value: string | null | undefined) => (value ? time(value) : Number.POSITIVE_INFINITY);
  switch (sort) {
    case 'waiting':
      return (a, b) => later(a.waiting_since) - later(b.waiting_since) || a.id - b.id;
    case 'sla':
      return (a, b) => later(a.sla?.due_at) - later(b.sla?.due_at) || a.id - b.id;
    case 'created':
      return (a, b) => time(b.created_at) - time(a.created_at) || b.id - a.id;
    case 'number':
      return (a, b) => b.number - a.number || b.id - a.id;
    default:
      return (a, b) => time(b.last_activity_at) - time(a.last_activity_at) || b.id - a.id;
  }
}

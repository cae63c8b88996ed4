/**
 * The inbox list: the current filter, the pages loaded for it (`next_cursor` paging), the rows
 * to show and the rows ticked for a bulk action.
 *
 * Rows are every conversation the console knows that matches the filter (events keep them
 * current, so a conversation enters or leaves the list as it changes), cut at the last row
 * loaded while more pages exist. Where the console cannot judge by itself (full-text search,
 * a category tree not loaded yet) the server's answer decides, and a conversation it has not
 * listed that changes makes the first page load again.
 */
import { get } from './api';
import type { Host } from './host';
import { comparator, DEFAULT_FILTER, filterKey, fromSaved, matches, toQuery, toSaved, type Filter } from './inbox-filter';
import type { Category, Conversation, View } from './types';

const PAGE_SIZE = 50;
const FILTER_KEY = 'helpline.console.filter';
/** Several changes in a row (a bulk action, a busy account) make one request. */
const REFRESH_MS = 1500;

export interface ListState {
  loaded: boolean;
  loading: boolean;
  error: string | null;
  /** For the next page; null when everything is loaded. */
  nextCursor: string | null;
  /** The last row loaded: while more pages exist, rows after it in the order are not shown. */
  last: Conversation | null;
  /** What the server listed: the truth where the console cannot judge by itself. */
  ids: Set<number>;
  /** A change the console could not judge happened while another list was on screen. */
  stale: boolean;
}

export interface ListHost extends Host {
  readonly convs: ReadonlyMap<number, Conversation>;
  /** The tab on screen, null off the inbox. */
  currentView(): View | null;
  /** Runs a REST load and applies it, then the events that arrived meanwhile. */
  load<T>(request: () => Promise<T>, apply: (data: T) => void): Promise<void>;
  /** A conversation from a list answer (older than an event already applied changes nothing). */
  upsert(conversation: Conversation): void;
  categories(): readonly Category[] | null;
}

export class InboxLists {
  filter: Filter = restoreFilter();
  /** Rows ticked for a bulk action. */
  readonly selected = new Set<number>();
  private readonly lists = new Map<string, ListState>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: ListHost) {}

  /** Signed out: the filter goes back to the defaults too. */
  reset(): void {
    this.clear();
    this.filter = { ...DEFAULT_FILTER };
    storeFilter(this.filter);
  }

  /** Everything is loaded again (a reconnect that missed too much). */
  clear(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.lists.clear();
    this.selected.clear();
  }

  state(view: View): ListState {
    const key = filterKey(view, this.filter);
    let state = this.lists.get(key);
    if (!state) {
      state = { loaded: false, loading: false, error: null, nextCursor: null, last: null, ids: new Set(), stale: false };
      this.lists.set(key, state);
    }
    return state;
  }

  /** Loads the list of `view` unless it is loaded (or loading) already. */
  ensure(view: View): void {
    const state = this.state(view);
    if (state.loading) return;
    if (!state.loaded) void this.load(view);
    else if (state.stale) void this.load(view, false, true);
  }

  /**
   * The first page (or, `more`, the next one). `refresh` loads the first page again into a
   * list already shown: within it the server's answer replaces what was listed; pages loaded
   * beyond it stay.
   */
  async load(view: View, more = false, refresh = false): Promise<void> {
    const state = this.state(view);
    if (state.loading || !this.host.me) return;
    if (more && !state.nextCursor) return;
    const filter = this.filter;
    state.loading = true;
    state.error = null;
    state.stale = false;
    this.host.emit();
    const params = toQuery(view, filter);
    params.set('limit', String(PAGE_SIZE));
    if (more && state.nextCursor) params.set('cursor', state.nextCursor);
    try {
      await this.host.load(
        () => get<{ conversations: Conversation[]; next_cursor: string | null }>(`/api/v1/conversations?${params}`),
        (data) => {
          for (const conversation of data.conversations) this.host.upsert(conversation);
          const ids = data.conversations.map((c) => c.id);
          const last = data.conversations[data.conversations.length - 1] ?? null;
          if (more) {
            for (const id of ids) state.ids.add(id);
            state.nextCursor = data.next_cursor;
            state.last = last;
          } else if (refresh && state.loaded && data.next_cursor && last && state.last && comparator(filter.sort)(state.last, last) > 0) {
            // More was loaded than this page: keep the rows listed beyond it.
            const after = [...state.ids].filter((id) => {
              const known = this.host.convs.get(id);
              return known && comparator(filter.sort)(known, last) > 0;
            });
            state.ids = new Set([...ids, ...after]);
          } else {
            state.ids = new Set(ids);
            state.nextCursor = data.next_cursor;
            state.last = last;
          }
          state.loaded = true;
        },
      );
    } catch (error) {
      state.error = this.host.errorText(error);
    } finally {
      state.loading = false;
      this.host.emit();
    }
  }

  /** The rows of `view` under the current filter, in its order. */
  rows(view: View, now = Date.now()): Conversation[] {
    const me = this.host.me;
    const state = this.state(view);
    if (!me || !state.loaded) return [];
    const filter = this.filter;
    const order = comparator(filter.sort);
    const ctx = { meId: me.id, now, categories: this.host.categories() };
    const cutoff = state.nextCursor ? state.last : null;
    const rows: Conversation[] = [];
    for (const c of this.host.convs.values()) {
      const match = matches(c, view, filter, ctx);
      if (match === false || (match === null && !state.ids.has(c.id))) continue;
      if (cutoff && order(c, cutoff) > 0) continue;
      rows.push(c);
    }
    return rows.sort(order);
  }

  /**
   * A conversation changed by an event. Where only the server can say whether it belongs in
   * the list on screen, that list loads its first page again (once for a burst of changes);
   * other such lists load again when next shown.
   */
  noticed(conversation: Conversation): void {
    const me = this.host.me;
    if (!me) return;
    const ctx = { meId: me.id, now: Date.now(), categories: this.host.categories() };
    const current = this.host.currentView();
    for (const view of ['unassigned', 'mine', 'all'] as View[]) {
      const state = this.lists.get(filterKey(view, this.filter));
      if (!state?.loaded || state.ids.has(conversation.id)) continue;
      if (matches(conversation, view, this.filter, ctx) !== null) continue;
      if (view === current) this.refreshSoon(view);
      else state.stale = true;
    }
  }

  private refreshSoon(view: View): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (this.host.currentView() === view) void this.load(view, false, true);
    }, REFRESH_MS);
  }

  /**
   * Changes the filter (the lists of the old one are dropped) and loads the list on screen;
   * not with `load` false, when a change of tab follows and loads that.
   */
  setFilter(change: Partial<Filter>, load = true): void {
    const next = { ...this.filter, ...change };
    if (JSON.stringify(toSaved('all', next)) === JSON.stringify(toSaved('all', this.filter))) return;
    this.filter = next;
    storeFilter(next);
    this.clear();
    const view = this.host.currentView();
    if (view && load) this.ensure(view);
    this.host.emit();
  }

  // ---- bulk selection -------------------------------------------------------------------

  toggle(id: number, on = !this.selected.has(id)): void {
    if (on) this.selected.add(id);
    else this.selected.delete(id);
    this.host.emit();
  }

  selectAll(ids: number[], on: boolean): void {
    for (const id of ids) {
      if (on) this.selected.add(id);
      else this.selected.delete(id);
    }
    this.host.emit();
  }

  clearSelection(): void {
    this.selected.clear();
    this.host.emit();
  }
}

/** The filter lasts for the browser tab (a reload keeps it; a new tab starts clean). */
function restoreFilter(): Filter {
  try {
    const stored = sessionStorage.getItem(FILTER_KEY);
    if (stored) return fromSaved(JSON.parse(stored), null).filter;
  } catch {
    /* storage blocked or garbage: the defaults */
  }
  return { ...DEFAULT_FILTER };
}

function storeFilter(filter: Filter): void {
  try {
    sessionStorage.setItem(FILTER_KEY, JSON.stringify(toSaved('all', filter)));
  } catch {
    /* storage blocked: the filter lasts for this page */
  }
}

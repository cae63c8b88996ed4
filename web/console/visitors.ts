/**
 * Who is on the site now (docs/protocol.md, `GET /api/v1/visitors`): read over REST after
 * every (re)connect, then kept live by `visitor.updated` events — a visitor is added or
 * updated while online and dropped when the event says they left. An agent can start a chat
 * with one (`POST /api/v1/visitors/{visitor_id}/invite`); the store then opens it.
 */
import { ApiError, get, post } from './api';
import type { Host } from './host';
import { time } from './model';
import type { Conversation, Message, Visitor } from './types';

export interface Invited {
  conversation: Conversation;
  message: Message;
}

export class LiveVisitors {
  private readonly byId = new Map<string, Visitor>();
  loaded = false;
  loading = false;
  error: string | null = null;
  private serial = 0;
  /** Visitors events changed while a load was in flight: the load's answer is older for them. */
  private touched: Set<string> | null = null;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.byId.clear();
    this.loaded = false;
    this.loading = false;
    this.error = null;
  }

  /** Most recently active first, as the server lists them. */
  list(): Visitor[] {
    return [...this.byId.values()].sort((a, b) => time(b.last_seen_at) - time(a.last_seen_at) || a.visitor_id.localeCompare(b.visitor_id));
  }

  get count(): number {
    return this.byId.size;
  }

  byVisitorId(id: string): Visitor | undefined {
    return this.byId.get(id);
  }

  /**
   * Reads the list again. Events that arrive meanwhile are applied to the map as they come;
   * the answer then replaces only what those events did not touch since the request left.
   */
  async load(): Promise<void> {
    const serial = ++this.serial;
    this.loading = true;
    this.error = null;
    this.host.emit();
    const touched = new Set<string>();
    this.touched = touched;
    try {
      const data = await get<{ visitors: Visitor[] }>('/api/v1/visitors');
      if (serial !== this.serial) return;
      const fresh = new Map<string, Visitor>();
      for (const visitor of data.visitors) if (!touched.has(visitor.visitor_id)) fresh.set(visitor.visitor_id, visitor);
      for (const id of touched) {
        const known = this.byId.get(id);
        if (known) fresh.set(id, known);
      }
      this.byId.clear();
      for (const [id, visitor] of fresh) this.byId.set(id, visitor);
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    } finally {
      if (serial === this.serial) {
        this.loading = false;
        this.touched = null;
      }
      this.host.emit();
    }
  }

  /** A `visitor.updated` event: online visitors are upserted, those who left are dropped. */
  apply(visitor: Visitor | null | undefined): void {
    if (!visitor?.visitor_id) return;
    this.touched?.add(visitor.visitor_id);
    if (visitor.online) {
      const known = this.byId.get(visitor.visitor_id);
      // An event older than what we hold (REST answered after it) must not win.
      if (known && time(visitor.last_seen_at) < time(known.last_seen_at)) return;
      this.byId.set(visitor.visitor_id, visitor);
    } else this.byId.delete(visitor.visitor_id);
  }

  /** Marks the visitor as in chat at once, before their next event says so. */
  markInChat(visitorId: string): void {
    const known = this.byId.get(visitorId);
    if (known) this.byId.set(visitorId, { ...known, in_chat: true });
  }

  /**
   * Starts a chat: the visitor's widget shows `body` by its launcher. `clientId` is kept by the caller
   * across retries so a second click after a lost answer stores nothing new.
   */
  invite(visitorId: string, body: string, clientId: string): Promise<Invited> {
    return post<Invited>(`/api/v1/visitors/${encodeURIComponent(visitorId)}/invite`, { client_id: clientId, body });
  }
}

/** "45 s", "12 min", "1 h 05 min" since `iso`, for the ticking time on site. */
export function elapsed(iso: string | null | undefined, now: number, lang: string): string {
  if (!iso) return '';
  const seconds = Math.max(0, Math.floor((now - time(iso)) / 1000));
  const [sec, min, hour] = lang === 'ru' ? ['с', 'мин', 'ч'] : ['s', 'min', 'h'];
  if (seconds < 60) return `${seconds} ${sec}`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} ${min} ${String(seconds % 60).padStart(2, '0')} ${sec}`;
  return `${Math.floor(minutes / 60)} ${hour} ${String(minutes % 60).padStart(2, '0')} ${min}`;
}

/** The device, browser and system in one line: "desktop · Chrome 131 · Windows 10". */
export function deviceLine(visitor: Visitor): string {
  return [visitor.device, visitor.browser, visitor.os].filter(Boolean).join(' · ');
}

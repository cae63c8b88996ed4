/**
 * The operator chat (docs/protocol.md, "Operator chat"): team rooms and direct rooms between
 * agents. Chat messages are not in the event log: they come as `chat` frames over the console
 * socket only, so after every (re)connect the rooms (with unread counts) and the history of
 * the room on screen are read again, and on the HTTP fallback, which carries no `chat` frames,
 * the rooms are polled every 10 s.
 *
 * Sending is `POST .../messages` with a `client_id`. A message that could not reach the server
 * stays queued (also in localStorage, so a reload keeps it) and is sent again after the next
 * reconnect with the same `client_id`: the server stores it once.
 */
import { ApiError, get, post } from './api';
import { newClientId } from '../shared/realtime';
import type { Host } from './host';
import type { ChatMessage, ChatRoom } from './types';

export const CHAT_MAX_BODY = 5000;
const PAGE = 50;
const POLL_MS = 10_000;
const RETRY_MS = 5_000;

export interface ChatPending {
  client_id: string;
  room: string;
  body: string;
  created_at: string;
  /** queued: waits for the connection; failed: refused by the server (`error` says why). */
  state: 'queued' | 'sending' | 'failed';
  error?: string;
}

export interface RoomHistory {
  messages: ChatMessage[];
  loaded: boolean;
  loading: boolean;
  /** Older messages exist on the server. */
  more: boolean;
  error: string | null;
}

export interface ChatHost extends Host {
  /** The agent is looking at the chat page (and the tab is visible). */
  chatOnScreen(): boolean;
  /** A message from someone else arrived in a room that is not on screen. */
  incoming(message: ChatMessage, room: ChatRoom | undefined): void;
}

const ROOM_KEY = 'helpline.console.chat.room';

export class OperatorChat {
  rooms: ChatRoom[] = [];
  roomsLoaded = false;
  roomsError: string | null = null;
  /** The room chosen on the chat page. */
  active: string | null = null;
  readonly history = new Map<string, RoomHistory>();
  pending: ChatPending[] = [];

  private storageKey: string | null = null;
  private roomsSerial = 0;
  /** Frames that arrived while the rooms were being read: their counts are added back. */
  private arrivedDuringLoad: ChatMessage[] | null = null;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private flushing = false;
  private online = false;
  private readonly readSent = new Map<string, number>();

  constructor(private readonly host: ChatHost) {}

  start(accountId: number, agentId: number): void {
    this.reset();
    this.storageKey = `helpline.console.chat.outbox.${accountId}.${agentId}`;
    this.pending = this.restore();
    try {
      this.active = localStorage.getItem(`${ROOM_KEY}.${agentId}`);
    } catch {
      this.active = null;
    }
  }

  reset(): void {
    this.stopPolling();
    clearTimeout(this.retryTimer);
    this.roomsSerial++;
    this.rooms = [];
    this.roomsLoaded = false;
    this.roomsError = null;
    this.history.clear();
    this.pending = [];
    this.storageKey = null;
    this.online = false;
    this.readSent.clear();
    this.arrivedDuringLoad = null;
  }

  get unreadTotal(): number {
    return this.rooms.reduce((sum, room) => sum + (room.unread || 0), 0);
  }

  room(name: string | null): ChatRoom | undefined {
    return name ? this.rooms.find((room) => room.room === name) : undefined;
  }

  historyOf(room: string): RoomHistory | undefined {
    return this.history.get(room);
  }

  pendingOf(room: string): ChatPending[] {
    return this.pending.filter((item) => item.room === room);
  }

  // ---- connection -----------------------------------------------------------------------

  /** `welcome` arrived (over the socket, or the HTTP fallback's stand-in): read what we missed. */
  connected(fallback: boolean): void {
    this.online = true;
    void this.loadRooms();
    if (this.active && this.history.get(this.active)?.loaded) void this.loadLatest(this.active);
    if (fallback) this.startPolling();
    else this.stopPolling();
    void this.flush();
  }

  disconnected(): void {
    this.online = false;
    this.stopPolling();
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => void this.poll(), POLL_MS);
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** On the fallback: the rooms again, and the room on screen when something new is in it. */
  private async poll(): Promise<void> {
    await this.loadRooms();
    const active = this.room(this.active);
    const history = active && this.history.get(active.room);
    if (!active || !history?.loaded) return;
    const newest = history.messages[history.messages.length - 1]?.id ?? 0;
    if ((active.last_message_id ?? 0) > newest) await this.loadLatest(active.room);
  }

  // ---- rooms ----------------------------------------------------------------------------

  async loadRooms(): Promise<void> {
    const serial = ++this.roomsSerial;
    const arrived: ChatMessage[] = [];
    this.arrivedDuringLoad = arrived;
    try {
      const data = await get<{ rooms: ChatRoom[] }>('/api/v1/chat/rooms');
      if (serial !== this.roomsSerial) return;
      const rooms = data.rooms.map((room) => ({ ...room }));
      const me = this.host.me?.id;
      for (const message of arrived) {
        const room = rooms.find((r) => r.room === message.room);
        if (!room || message.id <= (room.last_message_id ?? 0)) continue;
        room.last_message_id = message.id;
        if (message.author.id === me) room.last_read_id = Math.max(room.last_read_id, message.id);
        else if (message.id > room.last_read_id) room.unread++;
      }
      this.rooms = rooms;
      this.roomsLoaded = true;
      this.roomsError = null;
      if (this.active && !this.room(this.active)) this.active = null;
      this.maybeRead();
    } catch (error) {
      if (serial === this.roomsSerial && !(error instanceof ApiError && error.status === 401)) this.roomsError = this.host.errorText(error);
    } finally {
      if (serial === this.roomsSerial) this.arrivedDuringLoad = null;
      this.host.emit();
    }
  }

  /** Chooses the room on screen; its history is read the first time. */
  open(name: string | null): void {
    this.active = name;
    try {
      const key = `${ROOM_KEY}.${this.host.me?.id ?? 0}`;
      if (name) localStorage.setItem(key, name);
      else localStorage.removeItem(key);
    } catch {
      /* storage blocked */
    }
    if (name) {
      const history = this.history.get(name);
      if (!history || (!history.loaded && !history.loading)) void this.loadLatest(name);
    }
    this.maybeRead();
    this.host.emit();
  }

  private historyFor(room: string): RoomHistory {
    let history = this.history.get(room);
    if (!history) this.history.set(room, (history = { messages: [], loaded: false, loading: false, more: false, error: null }));
    return history;
  }

  /** The newest page of a room, merged with what is held (a hole means: start over from it). */
  async loadLatest(room: string): Promise<void> {
    const history = this.historyFor(room);
    history.loading = true;
    history.error = null;
    this.host.emit();
    try {
      const data = await get<{ messages: ChatMessage[] }>(`/api/v1/chat/rooms/${encodeURIComponent(room)}/messages?limit=${PAGE}`);
      const held = history.messages;
      const newestHeld = held[held.length - 1]?.id ?? 0;
      const hole = data.messages.length === PAGE && held.length > 0 && data.messages[0].id > newestHeld;
      if (!history.loaded || hole) {
        history.messages = data.messages;
        history.more = data.messages.length === PAGE;
      } else history.messages = merge(held, data.messages);
      history.loaded = true;
      this.settlePending(data.messages);
      this.maybeRead();
    } catch (error) {
      history.error = this.host.errorText(error);
    } finally {
      history.loading = false;
      this.host.emit();
    }
  }

  async loadOlder(room: string): Promise<void> {
    const history = this.history.get(room);
    if (!history?.loaded || history.loading || !history.more || !history.messages.length) return;
    history.loading = true;
    this.host.emit();
    try {
      const before = history.messages[0].id;
      const data = await get<{ messages: ChatMessage[] }>(`/api/v1/chat/rooms/${encodeURIComponent(room)}/messages?before=${before}&limit=${PAGE}`);
      history.messages = merge(data.messages, history.messages);
      history.more = data.messages.length === PAGE;
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
    } finally {
      history.loading = false;
      this.host.emit();
    }
  }

  // ---- live -----------------------------------------------------------------------------

  /** A `chat` frame: a message in one of my rooms (mine too, from another tab). */
  received(message: ChatMessage): void {
    if (!message || typeof message.id !== 'number' || typeof message.room !== 'string') return;
    this.arrivedDuringLoad?.push(message);
    const me = this.host.me?.id;
    const history = this.history.get(message.room);
    const known = !!history?.messages.some((other) => other.id === message.id);
    if (history?.loaded && !known) history.messages = merge(history.messages, [message]);
    this.settlePending([message]);
    const room = this.room(message.room);
    if (!room) {
      // A room we do not know yet (a team we were just added to): read them again.
      if (this.roomsLoaded) void this.loadRooms();
      return;
    }
    if (known || message.id <= (room.last_message_id ?? 0)) return;
    room.last_message_id = message.id;
    if (message.author.id === me) {
      room.last_read_id = Math.max(room.last_read_id, message.id);
      return;
    }
    if (message.id > room.last_read_id) room.unread++;
    if (this.onScreen(room.room)) this.maybeRead();
    else this.host.incoming(message, room);
    this.rooms = [...this.rooms];
  }

  private onScreen(room: string): boolean {
    return this.active === room && this.host.chatOnScreen();
  }

  /** Marks the room on screen read up to its newest message, when the agent can see it. */
  maybeRead(): void {
    const name = this.active;
    const room = this.room(name);
    if (!name || !room || !this.onScreen(name)) return;
    const history = this.history.get(name);
    const newest = Math.max(room.last_message_id ?? 0, history?.messages[history.messages.length - 1]?.id ?? 0);
    if (!newest || (room.unread === 0 && newest <= room.last_read_id)) return;
    room.unread = 0;
    room.last_read_id = Math.max(room.last_read_id, newest);
    this.rooms = [...this.rooms];
    this.host.emit();
    if (this.readSent.get(name) === newest) return;
    this.readSent.set(name, newest);
    post(`/api/v1/chat/rooms/${encodeURIComponent(name)}/read`, { message_id: newest }).catch(() => {
      this.readSent.delete(name); // tried again on the next message or visit
    });
  }

  // ---- sending --------------------------------------------------------------------------

  send(room: string, text: string): boolean {
    const body = text.trim();
    if (!body || body.length > CHAT_MAX_BODY) return false;
    this.pending.push({ client_id: newClientId(), room, body, created_at: new Date().toISOString(), state: 'queued' });
    this.save();
    this.host.emit();
    void this.flush();
    return true;
  }

  retry(clientId: string): void {
    const item = this.pending.find((other) => other.client_id === clientId);
    if (!item) return;
    item.state = 'queued';
    item.error = undefined;
    this.host.emit();
    void this.flush();
  }

  discard(clientId: string): void {
    this.pending = this.pending.filter((other) => other.client_id !== clientId);
    this.save();
    this.host.emit();
  }

  /**
   * Sends the queue in order, one at a time. A network failure leaves the rest queued until
   * the next `welcome` (or a retry a few seconds on); a refusal marks only that message.
   */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    clearTimeout(this.retryTimer);
    try {
      for (;;) {
        const item = this.pending.find((other) => other.state === 'queued');
        if (!item) break;
        item.state = 'sending';
        this.host.emit();
        try {
          const data = await post<{ message: ChatMessage; duplicate: boolean }>(`/api/v1/chat/rooms/${encodeURIComponent(item.room)}/messages`, {
            client_id: item.client_id,
            body: item.body,
          });
          this.pending = this.pending.filter((other) => other !== item);
          this.save();
          this.received(data.message);
        } catch (error) {
          const lost = error instanceof ApiError && (error.code === 'network' || error.status >= 500 || error.status === 429);
          if (lost || !(error instanceof ApiError) || error.status === 401) {
            item.state = 'queued';
            // Reconnecting brings us back (connected()); meanwhile try again now and then.
            this.retryTimer = setTimeout(() => void this.flush(), RETRY_MS * (this.online ? 1 : 3));
            break;
          }
          item.state = 'failed';
          item.error = this.host.errorText(error);
          this.save();
        }
      }
    } finally {
      this.flushing = false;
      this.host.emit();
    }
  }

  /** Messages the server has: our pending copies of them are done. */
  private settlePending(messages: ChatMessage[]): void {
    const me = this.host.me?.id;
    const done = new Set(messages.filter((m) => m.author.id === me && m.client_id).map((m) => m.client_id));
    if (!done.size) return;
    const before = this.pending.length;
    this.pending = this.pending.filter((item) => item.state === 'sending' || !done.has(item.client_id));
    if (this.pending.length !== before) this.save();
  }

  private save(): void {
    if (!this.storageKey) return;
    try {
      const unsent = this.pending.map(({ client_id, room, body, created_at }) => ({ client_id, room, body, created_at }));
      if (unsent.length) localStorage.setItem(this.storageKey, JSON.stringify(unsent));
      else localStorage.removeItem(this.storageKey);
    } catch {
      /* storage full or blocked: the queue still lives in memory */
    }
  }

  private restore(): ChatPending[] {
    if (!this.storageKey) return [];
    try {
      const items = JSON.parse(localStorage.getItem(this.storageKey) || '[]');
      if (!Array.isArray(items)) return [];
      return items
        .filter((item) => item && typeof item.client_id === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(item.client_id) && typeof item.room === 'string' && typeof item.body === 'string')
        .map((item) => ({ client_id: item.client_id, room: item.room, body: item.body, created_at: String(item.created_at || ''), state: 'queued' as const }));
    } catch {
      return [];
    }
  }
}

/** Two id-ordered lists as one, each message once. */
function merge(a: ChatMessage[], b: ChatMessage[]): ChatMessage[] {
  const byId = new Map<number, ChatMessage>();
  for (const message of [...a, ...b]) byId.set(message.id, message);
  return [...byId.values()].sort((x, y) => x.id - y.id);
}

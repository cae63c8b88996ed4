/**
 * The collision indicator's "who else has this conversation on screen" (docs/protocol.md,
 * `viewing`). We tell the server which conversation is on our screen (again every 20 s, null
 * when none) and keep what the others told us for 45 s. When someone we had not seen arrives
 * in the conversation we are viewing, we answer at once, so the newcomer learns of us without
 * waiting for our next 20-second resend.
 *
 * These frames exist on the socket only: on the HTTP fallback there is no socket, its
 * stand-in (polling.ts) drops them, and none arrive, so nothing is shown.
 */
import type { Frame } from '../shared/realtime';

const RESEND_MS = 20_000;
const VALID_MS = 45_000;

export interface Viewer {
  id: number;
  name: string;
  conversationId: number;
  until: number;
}

export class Viewing {
  /** Other agents by id: the conversation each was last seen viewing. */
  readonly viewers = new Map<number, Viewer>();
  private current: number | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    /** Sends a frame now if the socket is open; false otherwise (not queued). */
    private readonly send: (frame: Frame) => boolean,
    private readonly myId: () => number | null,
  ) {}

  /** The conversation on screen changed (null: none). */
  show(conversationId: number | null): void {
    if (conversationId === this.current) return;
    this.current = conversationId;
    this.announce();
    clearInterval(this.timer);
    this.timer = conversationId === null ? undefined : setInterval(() => this.announce(), RESEND_MS);
  }

  /** After every `welcome`: the server knows nothing of this connection yet. */
  connected(): void {
    if (this.current !== null) this.announce();
  }

  /** The connection is gone: what others told us may be stale, and they will tell us again. */
  disconnected(): void {
    this.viewers.clear();
  }

  /** Leaving for good (logout, page closed): others should stop showing us. */
  stop(): void {
    if (this.current !== null) this.send({ type: 'viewing', conversation_id: null });
    this.current = null;
    clearInterval(this.timer);
    this.timer = undefined;
    this.viewers.clear();
  }

  /** A `viewing` frame from the server; returns whether what we show changed. */
  received(frame: Frame): boolean {
    const agent = frame.agent || {};
    const id = Number(agent.id);
    if (!id || id === this.myId()) return false;
    const conversationId = frame.conversation_id == null ? null : Number(frame.conversation_id);
    const known = this.viewers.get(id);
    if (conversationId === null) return this.viewers.delete(id);
    this.viewers.set(id, { id, name: String(agent.name || ''), conversationId, until: Date.now() + VALID_MS });
    if (conversationId === this.current && known?.conversationId !== conversationId) this.announce();
    return !known || known.conversationId !== conversationId || known.name !== agent.name;
  }

  /** Drops what is older than 45 s; returns whether anything was dropped. */
  sweep(now = Date.now()): boolean {
    let changed = false;
    for (const [id, viewer] of this.viewers) {
      if (viewer.until <= now) {
        this.viewers.delete(id);
        changed = true;
      }
    }
    return changed;
  }

  /** The other agents viewing a conversation. */
  of(conversationId: number): Viewer[] {
    const list: Viewer[] = [];
    for (const viewer of this.viewers.values()) if (viewer.conversationId === conversationId) list.push(viewer);
    return list.sort((a, b) => a.name.localeCompare(b.name));
  }

  private announce(): void {
    this.send({ type: 'viewing', conversation_id: this.current });
  }
}

/**
 * The outbox mirrored in localStorage, so a reply typed while the server is away survives a
 * reload (docs/protocol.md, "Outbox"). Several tabs of one agent share the key: each replaces
 * only the frames it owns and keeps the others'.
 */
import type { OutboxFrame } from '../shared/realtime';

function valid(frame: any): frame is OutboxFrame {
  return (
    !!frame &&
    frame.type === 'message.send' &&
    typeof frame.client_id === 'string' &&
    /^[A-Za-z0-9_-]{8,64}$/.test(frame.client_id) &&
    typeof frame.conversation_id === 'number' &&
    typeof frame.body === 'string'
  );
}

export class StoredOutbox {
  private readonly owned = new Set<string>();

  constructor(private readonly key: string) {}

  /** Frames left by earlier pages; this tab takes them over (the server dedups by client_id). */
  restore(): OutboxFrame[] {
    const frames = this.read();
    for (const frame of frames) this.owned.add(frame.client_id);
    return frames;
  }

  /** Records a frame before it enters the outbox, so a later save knows it is ours. */
  own(clientId: string): void {
    this.owned.add(clientId);
  }

  /** Saves this tab's outbox (the whole of it, as the realtime client reports it). */
  save(frames: OutboxFrame[]): void {
    try {
      const others = this.read().filter((frame) => !this.owned.has(frame.client_id));
      for (const frame of frames) this.owned.add(frame.client_id);
      const all = [...others, ...frames];
      if (all.length) localStorage.setItem(this.key, JSON.stringify(all));
      else localStorage.removeItem(this.key);
    } catch {
      /* storage full or blocked: the in-memory outbox still works */
    }
  }

  private read(): OutboxFrame[] {
    try {
      const frames = JSON.parse(localStorage.getItem(this.key) || '[]');
      return Array.isArray(frames) ? frames.filter(valid) : [];
    } catch {
      return [];
    }
  }
}

/**
 * Rating a resolved conversation (docs/protocol.md, `csat.submit`): which conversation shows
 * the card, the frame it sends, and what became of it. The card itself is csat-card.tsx; the
 * frame goes through the realtime outbox like every frame that stores something, so a
 * reconnect or a reload neither loses nor repeats it (the server dedups by client_id, and a
 * later rating of the same conversation only replaces the earlier one).
 */
import { newClientId, type OutboxFrame } from '../shared/realtime';
import type { SiteStorage } from './storage';

export const MAX_COMMENT = 2000;
/** Finished cards kept in storage: enough for any visitor; the oldest are long closed. */
const REMEMBERED = 50;

export interface Rateable {
  id: number;
  status: string;
  csat_rating?: number | null;
}

/**
 * `ask`: the stars, with the server's `error` after a refusal; `sending`: in the outbox,
 * waiting for the ack (`rating` and `comment` as sent: after a reload only the outbox knows them);
 * `thanks`: rated on this page.
 */
export interface Card {
  state: 'ask' | 'sending' | 'thanks';
  rating?: number;
  comment?: string;
  error?: string;
}

export class Ratings {
  /** Conversations whose card is done with — rated or dismissed — so that it does not come back. */
  private finished: number[];
  /** Rated on this page view: the thanks stay until the conversation reopens. */
  private thanked = new Set<number>();
  /** The reason of a refusal, shown on the card until the next try. */
  private errors = new Map<number, string>();

  constructor(private readonly storage: SiteStorage) {
    const stored = storage.json<unknown>('csat', []);
    this.finished = Array.isArray(stored) ? stored.filter((id) => typeof id === 'number') : [];
  }

  /** What the end of the conversation shows, if anything. `outbox`: the frames not yet acked. */
  card(conversation: Rateable, enabled: boolean, outbox: OutboxFrame[]): Card | null {
    const { id } = conversation;
    if (conversation.status !== 'resolved') return null;
    if (this.thanked.has(id)) return { state: 'thanks' };
    if (!enabled || conversation.csat_rating != null || this.finished.includes(id)) return null;
    const sent = outbox.find((frame) => frame.type === 'csat.submit' && frame.conversation_id === id);
    return sent ? { state: 'sending', rating: sent.rating, comment: sent.comment } : { state: 'ask', error: this.errors.get(id) };
  }

  /** The frame for the outbox. */
  submit(conversationId: number, rating: number, comment: string): OutboxFrame {
    this.errors.delete(conversationId);
    const text = comment.trim().slice(0, MAX_COMMENT);
    return { type: 'csat.submit', client_id: newClientId(), conversation_id: conversationId, rating, ...(text && { comment: text }) };
  }

  accepted(conversationId: number): void {
    // No thanks in place of a card the visitor closed while it was on its way.
    if (!this.finished.includes(conversationId)) this.thanked.add(conversationId);
    this.finish(conversationId);
  }

  /** The server refused (the conversation reopened meanwhile, the site stopped asking…). */
  refused(sent: OutboxFrame, reason: string): void {
    this.errors.set(sent.conversation_id, reason);
  }

  dismiss(conversationId: number): void {
    this.finish(conversationId);
  }

  /** The conversation is open again: its thanks and errors are history. */
  reopened(conversationId: number): void {
    this.thanked.delete(conversationId);
    this.errors.delete(conversationId);
  }

  private finish(conversationId: number): void {
    this.finished = [...this.finished.filter((id) => id !== conversationId), conversationId].slice(-REMEMBERED);
    this.storage.set('csat', JSON.stringify(this.finished));
  }
}

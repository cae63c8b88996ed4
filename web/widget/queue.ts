/**
 * The visitor's place in a team's queue (docs/protocol.md, the `queue` frame), shown as a
 * quiet line under the conversation while nobody has taken it yet.
 */
import type { Frame } from '../shared/realtime';
import type { Strings } from './i18n';

export interface QueuePlace {
  conversation_id: number;
  /** 1 = next. */
  position: number;
  /** Estimated; null when nobody of the team is online. */
  wait_seconds: number | null;
}

/**
 * The place after a frame from the server. `queue` sets it (position null: an operator has
 * it). A `welcome` forgets it: the server repeats it after every `welcome` while the
 * conversation still waits. It also goes when the conversation is no longer open or an
 * operator writes in it, should the server not have said so.
 */
export function nextPlace(place: QueuePlace | null, frame: Frame): QueuePlace | null {
  if (frame.type === 'welcome') return null;
  if (frame.type === 'queue') {
    if (frame.position) return { conversation_id: frame.conversation_id, position: frame.position, wait_seconds: frame.wait_seconds ?? null };
    return place?.conversation_id === frame.conversation_id ? null : place;
  }
  const over =
    (frame.type === 'conversation' && frame.conversation?.id === place?.conversation_id && frame.conversation.status !== 'open') ||
    (frame.type === 'message' && frame.message?.conversation_id === place?.conversation_id && frame.message.author?.type === 'agent');
  return over ? null : place;
}

/** "Вы 2-й в очереди · ожидание ~5 мин"; without the wait when none is known. */
export function queueText(place: QueuePlace, t: Strings): string {
  const wait = place.wait_seconds;
  const minutes = String(Math.max(1, Math.round((wait || 0) / 60)));
  return t.queue.replace('{n}', String(place.position)) + (wait == null ? '' : t.queueWait.replace('{min}', minutes));
}

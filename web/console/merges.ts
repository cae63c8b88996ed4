/**
 * The merges a contact took part in (`GET /api/v1/contacts/{id}/merges`, docs/protocol.md, the
 * contacts rows of the console's REST table), read with the contact. Merging and undoing are in
 * merge-actions.ts, which loads with the merge dialog.
 *
 * Every console learns of a merge from its events (`conversation.updated` with `changed:
 * ["contact"]` for each conversation that moved, `contact.updated` for the contact that stays);
 * there is no event for the merges list itself, so a contact's list is read again when the
 * contact changes.
 */
import { get } from './api';
import type { Host } from './host';
import type { ContactMerge } from './types';

/** A burst of events about one contact reads its merges once. */
const RELOAD_AFTER_MS = 300;

export class ContactMerges {
  /** Contact id → its merges, newest first, once read. */
  readonly byContact = new Map<number, ContactMerge[]>();
  /** Keys of requests in flight (`undo:4`), to disable their buttons. */
  readonly busy = new Set<string>();
  private readonly serials = new Map<number, number>();
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private generation = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.generation++;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.byContact.clear();
    this.busy.clear();
  }

  of(contactId: number): ContactMerge[] | undefined {
    return this.byContact.get(contactId);
  }

  async load(contactId: number): Promise<void> {
    const serial = (this.serials.get(contactId) ?? 0) + 1;
    this.serials.set(contactId, serial);
    const generation = this.generation;
    try {
      const data = await get<{ merges: ContactMerge[] }>(`/api/v1/contacts/${contactId}/merges`);
      if (generation !== this.generation || serial !== this.serials.get(contactId)) return;
      this.byContact.set(contactId, data.merges);
    } catch {
      /* the list stays as it was (or absent); the contact's next change reads it again */
    }
    this.host.emit();
  }

  /** The contact changed (an event): another agent may have merged it, so its list is read again. */
  changed(contactId: number): void {
    if (!this.byContact.has(contactId) || this.timers.has(contactId)) return;
    this.timers.set(
      contactId,
      setTimeout(() => {
        this.timers.delete(contactId);
        void this.load(contactId);
      }, RELOAD_AFTER_MS),
    );
  }

  /** Puts a merge (new, or changed by an undo) into a contact's list, if that list is here. */
  put(contactId: number, merge: ContactMerge): void {
    const list = this.byContact.get(contactId);
    if (!list) return;
    const rest = list.filter((item) => item.id !== merge.id);
    this.byContact.set(contactId, [merge, ...rest].sort((a, b) => b.id - a.id));
  }
}

/**
 * Merging two contacts that are one person and undoing it (docs/protocol.md: `POST
 * /api/v1/contacts/{id}/merge`, `POST /api/v1/contact-merges/{id}/undo`). Only the merge dialog
 * and the merges list do it, so this loads with them (contact-page.tsx), not with the console.
 *
 * The server announces the contact that stays (`contact.updated`) and each conversation that
 * moved, but not the contact that went into the other one (until the merge is undone), so after
 * either action both contacts and their merges are read again.
 */
import { ApiError, post } from './api';
import type { Store } from './store';
import type { ContactMerge } from './types';

/** Both contacts as the server has them now: conversations, identities, `merged_into_id`, merges. */
async function afterward(s: Store, merge: ContactMerge): Promise<void> {
  await Promise.all([merge.survivor_id, merge.merged_id].flatMap((contactId) => [s.loadContact(contactId), s.merges.load(contactId)]));
}

/**
 * Merges contact `otherId` into `contactId` (which stays). Resolves to the merge; throws the
 * server's refusal (`ApiError`: 409 merged already, 422, 404) for the dialog to show.
 */
export async function mergeContacts(s: Store, contactId: number, otherId: number): Promise<ContactMerge> {
  const data = await post<{ merge: ContactMerge }>(`/api/v1/contacts/${contactId}/merge`, { other_id: otherId });
  s.merges.put(contactId, data.merge);
  s.merges.put(otherId, data.merge);
  await afterward(s, data.merge);
  return data.merge;
}

/** Undoes a merge; resolves to whether it was done (a refusal is shown as a toast). */
export async function undoMerge(s: Store, merge: ContactMerge): Promise<boolean> {
  const key = `undo:${merge.id}`;
  if (s.merges.busy.has(key)) return false;
  s.merges.busy.add(key);
  s.emit();
  try {
    const data = await post<{ merge: ContactMerge }>(`/api/v1/contact-merges/${merge.id}/undo`, {});
    s.merges.put(merge.survivor_id, data.merge);
    s.merges.put(merge.merged_id, data.merge);
    await afterward(s, data.merge);
    return true;
  } catch (error) {
    // 409: undone already (by someone else): what the server has is what to show.
    if (error instanceof ApiError && error.code === 'conflict') void afterward(s, merge);
    s.showToast(s.errorText(error));
    return false;
  } finally {
    s.merges.busy.delete(key);
    s.emit();
  }
}

/**
 * Canned responses (docs/protocol.md, "Canned"): the list the composer's picker searches and
 * the management page edits. There is no event for them, so the list is read when the
 * console starts, when the page opens and when the picker opens with a list older than a
 * minute. Inserting one asks the server to fill its placeholders for the conversation; the
 * text goes into the composer, editable, and is never sent by itself.
 */
import { ApiError, del, get, patch, post } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import type { Canned } from './types';

const STALE_MS = 60_000;

export const PLACEHOLDERS = [
  '{{contact.name}}',
  '{{contact.email}}',
  '{{contact.phone}}',
  '{{agent.name}}',
  '{{agent.first_name}}',
  '{{site.name}}',
  '{{conversation.number}}',
] as const;

export interface CannedForm {
  shortcut: string;
  title: string;
  body: string;
  scope: 'personal' | 'shared';
}

export const CANNED_FIELDS = ['shortcut', 'title', 'body', 'scope'] as const;

/** Shortcut first, then title: the ones whose shortcut starts with the query lead. */
export function searchCanned(items: readonly Canned[], query: string): Canned[] {
  const q = query.trim().toLocaleLowerCase();
  if (!q) return [...items];
  const scored: [number, Canned][] = [];
  for (const item of items) {
    const shortcut = item.shortcut.toLocaleLowerCase();
    const title = item.title.toLocaleLowerCase();
    let score = -1;
    if (shortcut.startsWith(q)) score = 0;
    else if (shortcut.includes(q)) score = 1;
    else if (title.split(/\s+/).some((word) => word.startsWith(q))) score = 2;
    else if (title.includes(q)) score = 3;
    if (score >= 0) scored.push([score, item]);
  }
  return scored.sort((a, b) => a[0] - b[0] || a[1].shortcut.localeCompare(b[1].shortcut)).map(([, item]) => item);
}

export class CannedResponses {
  items: Canned[] = [];
  loaded = false;
  loading = false;
  error: string | null = null;
  private loadedAt = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.items = [];
    this.loaded = false;
    this.loading = false;
    this.error = null;
    this.loadedAt = 0;
  }

  async load(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.error = null;
    this.host.emit();
    try {
      const data = await get<{ canned: Canned[] }>('/api/v1/canned');
      this.items = sortCanned(data.canned);
      this.loaded = true;
      this.loadedAt = Date.now();
    } catch (error) {
      this.error = this.host.errorText(error);
    } finally {
      this.loading = false;
      this.host.emit();
    }
  }

  /** For the picker: the list, read again when it may be out of date. */
  refreshIfStale(): void {
    if (!this.loaded || Date.now() - this.loadedAt > STALE_MS) void this.load();
  }

  /** Whether the signed-in agent may edit or delete this one. */
  canEdit(item: Canned): boolean {
    const me = this.host.me;
    if (!me) return false;
    return item.scope === 'shared' ? me.role !== 'agent' : item.owner_id === me.id;
  }

  canShare(): boolean {
    return !!this.host.me && this.host.me.role !== 'agent';
  }

  /** Creates (no `id`) or changes one; resolves to errors by field, empty when it worked. */
  async save(form: CannedForm, id?: number): Promise<FieldErrors> {
    const body = { ...form, shortcut: form.shortcut.trim().replace(/^\//, ''), title: form.title.trim() };
    try {
      const data = id === undefined ? await post<{ canned: Canned }>('/api/v1/canned', body) : await patch<{ canned: Canned }>(`/api/v1/canned/${id}`, body);
      this.upsert(data.canned);
      this.host.showToast(this.host.t(id === undefined ? 'cannedCreated' : 'cannedSaved', { shortcut: data.canned.shortcut }), 'info');
      return {};
    } catch (error) {
      if (error instanceof ApiError && error.code === 'conflict') return { shortcut: this.host.t('cannedShortcutTaken') };
      if (error instanceof ApiError && error.code === 'forbidden') return { scope: this.host.t('cannedSharedForbidden') };
      return fieldErrors(error, this.host, CANNED_FIELDS);
    } finally {
      this.host.emit();
    }
  }

  async remove(item: Canned): Promise<boolean> {
    try {
      await del(`/api/v1/canned/${item.id}`);
      this.items = this.items.filter((other) => other.id !== item.id);
      return true;
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
      return false;
    } finally {
      this.host.emit();
    }
  }

  /** The response with its placeholders filled for this conversation. */
  async render(conversationId: number, cannedId: number): Promise<string> {
    const data = await get<{ body: string }>(`/api/v1/conversations/${conversationId}/canned/${cannedId}`);
    return data.body;
  }

  private upsert(item: Canned): void {
    this.items = sortCanned([...this.items.filter((other) => other.id !== item.id), item]);
  }
}

/** By shortcut, as the server lists them; a shared and a personal one may share a shortcut. */
function sortCanned(items: Canned[]): Canned[] {
  return [...items].sort((a, b) => a.shortcut.localeCompare(b.shortcut) || (a.scope === b.scope ? a.id - b.id : a.scope === 'personal' ? -1 : 1));
}

/**
 * Macros (docs/protocol.md, "Macros"): several actions in one click — priority, category,
 * tags, status, assignee, team, a custom field — and a reply filled in for the conversation.
 * Applying one is all or nothing; the reply goes into the composer, editable, and is never
 * sent by itself. Every agent has their own; shared ones are made and changed by supervisors
 * and admins. No events: the list is read when the console starts, when the page opens and
 * when the picker opens with a list older than a minute.
 */
import { ApiError, del, get, post, put } from './api';
import type { DeskHost } from './desk';
import { fieldErrors, type FieldErrors } from './host';
import { isSupervisor } from './supervisor';
import type { Conversation } from './types';

export const MACRO_ACTION_TYPES = ['set_priority', 'set_category', 'add_tags', 'remove_tags', 'set_status', 'assign', 'set_team', 'set_field'] as const;
export type MacroActionType = (typeof MACRO_ACTION_TYPES)[number];
export const MACRO_STATUSES = ['open', 'pending', 'resolved', 'closed'] as const;

export type MacroAction = { type: MacroActionType; value: unknown; key?: string };

export interface Macro {
  id: number;
  name: string;
  actions: MacroAction[];
  reply: string | null;
  shared: boolean;
}

export interface MacroForm {
  name: string;
  actions: MacroAction[];
  reply: string | null;
  shared: boolean;
}

const STALE_MS = 60_000;

/** Macros whose name has every word of the query (any order, any case). */
export function searchMacros(macros: readonly Macro[], query: string): Macro[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return macros.filter((macro) => words.every((word) => macro.name.toLowerCase().includes(word)));
}

export class Macros {
  items: Macro[] = [];
  loaded = false;
  loading = false;
  error: string | null = null;
  private readAt = 0;
  private serial = 0;

  constructor(private readonly host: DeskHost) {}

  reset(): void {
    this.serial++;
    this.items = [];
    this.loaded = false;
    this.loading = false;
    this.error = null;
    this.readAt = 0;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.loading = true;
    this.error = null;
    this.readAt = Date.now();
    this.host.emit();
    try {
      const data = await get<{ macros: Macro[] }>('/api/v1/macros');
      if (serial !== this.serial) return;
      this.items = data.macros;
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    } finally {
      if (serial === this.serial) this.loading = false;
      this.host.emit();
    }
  }

  refreshIfStale(): void {
    if (!this.loading && Date.now() - this.readAt > STALE_MS) void this.load();
  }

  canShare(): boolean {
    return isSupervisor(this.host.me);
  }

  /** Personal macros are the agent's own; shared ones are for supervisors and admins to change. */
  canEdit(macro: Macro): boolean {
    return !macro.shared || this.canShare();
  }

  /** Creates (no `id`) or changes a macro; errors by field (`actions.0`, `reply`), empty when saved. */
  async save(form: MacroForm, id?: number): Promise<FieldErrors> {
    const body = { ...form, name: form.name.trim(), reply: form.reply?.trim() ? form.reply : null };
    const known = ['name', 'actions', 'reply', 'body', 'shared', ...form.actions.map((_, index) => `actions.${index}`)];
    try {
      if (id === undefined) await post('/api/v1/macros', body);
      else await put(`/api/v1/macros/${id}`, body);
      await this.load();
      return {};
    } catch (error) {
      const errors = fieldErrors(error, this.host, known);
      // An unknown placeholder is named `body`, as for canned responses: it is the reply's.
      if (errors.body) errors.reply = errors.body;
      return errors;
    } finally {
      this.host.emit();
    }
  }

  async remove(macro: Macro): Promise<boolean> {
    try {
      await del(`/api/v1/macros/${macro.id}`);
      await this.load();
      return true;
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
      return false;
    }
  }

  /**
   * Applies a macro to a conversation (all or nothing) and resolves to its reply filled in
   * for it (null without one), or undefined when refused — the reason is shown.
   */
  async apply(conversationId: number, macro: Macro): Promise<string | null | undefined> {
    const key = `macro:${conversationId}`;
    if (this.host.busy.has(key)) return undefined;
    this.host.busy.add(key);
    this.host.emit();
    try {
      const data = await post<{ conversation: Conversation; reply: string | null }>(`/api/v1/conversations/${conversationId}/macros/${macro.id}`, {});
      this.host.applied(data.conversation);
      this.host.showToast(this.host.t('macroApplied', { name: macro.name }), 'info');
      return data.reply;
    } catch (error) {
      const reason = error instanceof ApiError && error.code === 'invalid_field' ? error.message : this.host.errorText(error);
      this.host.showToast(this.host.t('macroFailed', { name: macro.name, reason }));
      return undefined;
    } finally {
      this.host.busy.delete(key);
      this.host.emit();
    }
  }
}

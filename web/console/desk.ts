/**
 * Service-desk changes to conversations (docs/protocol.md, `PATCH /conversations/{id}`,
 * `/status`, `/audit`, `/conversations/bulk`): priority, category, tags and custom fields,
 * the status with its snooze time, the audit trail, and one action on many conversations.
 * Answers are applied at once; the `conversation.updated` events that follow change nothing
 * more, and tell every other console.
 */
import { ApiError, get, patch, post } from './api';
import type { Host } from './host';
import type { AuditEntry, Conversation, Priority, Status } from './types';

export interface DeskHost extends Host {
  /** A conversation from an answer. */
  applied(conversation: Conversation): void;
  /** Keys of actions in flight, shared with the store's own ("status:37"). */
  readonly busy: Set<string>;
  showToast(text: string, kind?: 'error' | 'info', action?: { label: string; run: () => void }): void;
}

/** What `PATCH /conversations/{id}` takes. */
export interface PropertyChanges {
  priority?: Priority;
  category_id?: number | null;
  tags?: string[];
  add_tags?: string[];
  remove_tags?: string[];
  fields?: Record<string, unknown>;
}

export type BulkAction =
  | { type: 'assign'; agent_id: number | null; force?: boolean }
  | { type: 'status'; status: Exclude<Status, 'snoozed'> }
  | { type: 'add_tags' | 'remove_tags'; tags: string[] }
  | { type: 'priority'; priority: Priority };

export interface Audit {
  entries: AuditEntry[];
  loading: boolean;
  error: string | null;
}

/** The server takes at most this many conversations in one bulk action. */
export const MAX_BULK = 200;

export type SnoozePreset = 'hour' | 'tomorrow' | 'monday';
export const SNOOZE_PRESETS: readonly SnoozePreset[] = ['hour', 'tomorrow', 'monday'];

/** When a snooze preset wakes, in the browser's time zone: in an hour, tomorrow 09:00, next Monday 09:00. */
export function snoozeTime(preset: SnoozePreset, now = new Date()): Date {
  if (preset === 'hour') return new Date(now.getTime() + 3_600_000);
  const days = preset === 'tomorrow' ? 1 : (1 - now.getDay() + 7) % 7 || 7;
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, 9, 0, 0, 0);
}

export class Desk {
  private readonly audits = new Map<number, Audit>();

  constructor(private readonly host: DeskHost) {}

  reset(): void {
    this.audits.clear();
  }

  /**
   * Changes properties of a conversation. Resolves to null when saved, else to the refusal
   * (422 names the field: `fields.city`, `tags`, …) for the form to show by that field.
   */
  async patch(id: number, changes: PropertyChanges): Promise<ApiError | null> {
    const key = `props:${id}`;
    this.host.busy.add(key);
    this.host.emit();
    try {
      const data = await patch<{ conversation: Conversation }>(`/api/v1/conversations/${id}`, changes);
      this.host.applied(data.conversation);
      return null;
    } catch (error) {
      if (error instanceof ApiError) {
        if (error.code !== 'invalid_field') this.host.showToast(this.host.errorText(error));
        return error;
      }
      this.host.showToast(this.host.errorText(error));
      return new ApiError(0, 'unknown', String(error));
    } finally {
      this.host.busy.delete(key);
      this.host.emit();
    }
  }

  /** Open, pending, snoozed (until a time), resolved or closed (final); errors as a toast. */
  async setStatus(id: number, status: Status, snoozedUntil?: Date): Promise<boolean> {
    const key = `status:${id}`;
    if (this.host.busy.has(key)) return false;
    this.host.busy.add(key);
    this.host.emit();
    try {
      const body: Record<string, unknown> = { status };
      if (status === 'snoozed' && snoozedUntil) body.snoozed_until = snoozedUntil.toISOString();
      const data = await post<{ conversation: Conversation }>(`/api/v1/conversations/${id}/status`, body);
      this.host.applied(data.conversation);
      return true;
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
      return false;
    } finally {
      this.host.busy.delete(key);
      this.host.emit();
    }
  }

  audit(id: number): Audit | undefined {
    return this.audits.get(id);
  }

  /** Reads the audit trail (again: there are no events for it, the caller knows when it grew). */
  async loadAudit(id: number): Promise<void> {
    const audit = this.audits.get(id) || { entries: [], loading: false, error: null };
    this.audits.set(id, audit);
    audit.loading = true;
    this.host.emit();
    try {
      audit.entries = (await get<{ entries: AuditEntry[] }>(`/api/v1/conversations/${id}/audit`)).entries;
      audit.error = null;
    } catch (error) {
      audit.error = this.host.errorText(error);
    } finally {
      audit.loading = false;
      this.host.emit();
    }
  }

  /**
   * One action on many conversations, all or nothing. Resolves to true when done; a refusal is
   * shown (an agent at capacity with "Assign anyway").
   */
  async bulk(ids: number[], action: BulkAction, done?: () => void): Promise<boolean> {
    if (!ids.length || this.host.busy.has('bulk')) return false;
    if (ids.length > MAX_BULK) {
      this.host.showToast(this.host.t('bulkTooMany', { max: MAX_BULK }));
      return false;
    }
    this.host.busy.add('bulk');
    this.host.emit();
    try {
      const data = await post<{ updated: number }>('/api/v1/conversations/bulk', { conversation_ids: ids, action });
      this.host.showToast(this.host.t('bulkDone', { count: data.updated }), 'info');
      done?.();
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'at_capacity' && action.type === 'assign') {
        this.host.showToast(this.host.errorText(error), 'error', {
          label: this.host.t('assignAnyway'),
          run: () => void this.bulk(ids, { ...action, force: true }, done),
        });
      } else this.host.showToast(this.host.t('bulkFailed', { message: this.host.errorText(error) }));
      return false;
    } finally {
      this.host.busy.delete('bulk');
      this.host.emit();
    }
  }
}

/**
 * Bans (docs/protocol.md, "Ban"): the Bans page's list and the changes made from it or from
 * the visitor sidebar. There is no event for bans: the page reads the list when it opens and
 * after each change.
 */
import { ApiError, get, patch, post } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import type { Ban, BanKind } from './types';

export const BAN_KINDS: readonly BanKind[] = ['visitor', 'ip', 'email', 'phone', 'telegram', 'vk', 'viber', 'whatsapp'];
/** Channel identities a contact may be banned by (someone who writes only through a bot). */
export const MESSENGER_BAN_KINDS: readonly string[] = ['telegram', 'vk', 'viber', 'whatsapp'];

/** The durations offered, in minutes; null is forever. */
export const BAN_DURATIONS: readonly (number | null)[] = [60, 24 * 60, 7 * 24 * 60, 30 * 24 * 60, null];

export interface BanForm {
  kind: BanKind;
  value: string;
  reason: string;
  minutes: number | null;
}

const BAN_FIELDS = ['kind', 'value', 'reason', 'minutes'] as const;

export class Bans {
  items: Ban[] = [];
  state: 'active' | 'all' = 'active';
  loaded = false;
  loading = false;
  error: string | null = null;
  private serial = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.items = [];
    this.loaded = false;
    this.loading = false;
    this.error = null;
    this.serial++;
  }

  async load(state: 'active' | 'all' = this.state): Promise<void> {
    const serial = ++this.serial;
    this.state = state;
    this.loading = true;
    this.error = null;
    this.host.emit();
    try {
      const data = await get<{ bans: Ban[] }>(`/api/v1/bans?state=${state}`);
      if (serial !== this.serial) return;
      this.items = data.bans;
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial) this.error = this.host.errorText(error);
    } finally {
      if (serial === this.serial) this.loading = false;
      this.host.emit();
    }
  }

  /** Resolves to errors by field, empty when the ban was made. */
  async create(form: BanForm): Promise<FieldErrors> {
    try {
      const data = await post<{ ban: Ban }>('/api/v1/bans', { ...form, value: form.value.trim(), reason: form.reason.trim() });
      this.upsert(data.ban);
      this.host.showToast(this.host.t('banCreated', { value: data.ban.value }), 'info');
      return {};
    } catch (error) {
      if (error instanceof ApiError && error.code === 'conflict') return { value: this.host.t('banExists') };
      return fieldErrors(error, this.host, BAN_FIELDS);
    } finally {
      this.host.emit();
    }
  }

  /** New reason and, unless `minutes` is undefined, a new duration counted from now (null: forever). */
  async change(ban: Ban, reason: string, minutes: number | null | undefined): Promise<FieldErrors> {
    const body: Record<string, unknown> = { reason: reason.trim() };
    if (minutes !== undefined) body.minutes = minutes;
    try {
      const data = await patch<{ ban: Ban }>(`/api/v1/bans/${ban.id}`, body);
      this.upsert(data.ban);
      return {};
    } catch (error) {
      return fieldErrors(error, this.host, BAN_FIELDS);
    } finally {
      this.host.emit();
    }
  }

  async lift(ban: Ban): Promise<void> {
    try {
      const data = await post<{ ban: Ban }>(`/api/v1/bans/${ban.id}/lift`, {});
      this.upsert(data.ban);
      this.host.showToast(this.host.t('banLifted', { value: data.ban.value }), 'info');
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
    } finally {
      this.host.emit();
    }
  }

  /** The rows to show: a lifted or expired ban leaves the "active" list. */
  visible(): Ban[] {
    return this.state === 'active' ? this.items.filter((ban) => ban.active) : this.items;
  }

  private upsert(ban: Ban): void {
    const rest = this.items.filter((other) => other.id !== ban.id);
    this.items = [ban, ...rest].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id);
  }
}

/**
 * SLA policies (docs/protocol.md, "SlaPolicy" and `/api/v1/sla-policies`): targets per priority
 * in business seconds, the hours they count, when a conversation turns "at risk", which
 * conversations a policy takes, and what a breach does. Every agent may read them (routing
 * rules name them); admins create and change them — a policy is archived, never deleted.
 * Also the supervisors' alert for an `sla.breached` event.
 */
import { ApiError, get, post, put } from './api';
import { HOURS_FIELDS } from './hours-editor';
import { fieldErrors, type FieldErrors, type Host } from './host';
import type { Translate } from './i18n';
import { isSupervisor, type News } from './supervisor';
import { PRIORITIES, type Agent, type BusinessHours, type Priority } from './types';

export const TARGETS = ['first_response', 'next_response', 'resolution'] as const;
export type TargetName = (typeof TARGETS)[number];
export type Targets = Partial<Record<TargetName, number | null>>;

export interface PolicyRules {
  targets: Partial<Record<Priority, Targets>>;
  hours: BusinessHours | null;
  /** "At risk" when less than this share of a target is left. */
  at_risk: number;
  categories: number[];
  inboxes: number[];
  escalation: { notify: boolean; raise_priority: boolean; reassign: boolean };
}

export interface SlaPolicy {
  id: number;
  name: string;
  position: number;
  is_active: boolean;
  rules: PolicyRules;
}

export interface PolicyForm {
  name: string;
  position: number;
  is_active: boolean;
  rules: PolicyRules;
}

export const emptyRules = (): PolicyRules => ({
  targets: {},
  hours: null,
  at_risk: 0.25,
  categories: [],
  inboxes: [],
  escalation: { notify: true, raise_priority: false, reassign: false },
});

/** Names a refusal may give, without the `rules.` in front. */
export const POLICY_FIELDS = [
  'name',
  'position',
  'is_active',
  'rules',
  'targets',
  ...PRIORITIES.flatMap((priority) => [`targets.${priority}`, ...TARGETS.map((target) => `targets.${priority}.${target}`)]),
  ...HOURS_FIELDS,
  'at_risk',
  'categories',
  'inboxes',
  'escalation',
];

/** "45 min", "2 h", "1 h 30 min", "3 d" — a target as an admin thinks of it. */
export function targetText(seconds: number | null | undefined, t: Translate): string {
  if (!seconds) return '—';
  if (seconds < 60) return t('durationSeconds', { count: seconds });
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return t('durationMinutes', { count: minutes });
  if (minutes % (24 * 60) === 0) return t('durationDays', { count: minutes / (24 * 60) });
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${t('durationHours', { count: hours })} ${t('durationMinutes', { count: minutes % 60 })}` : t('durationHours', { count: hours });
}

export class SlaPolicies {
  list: SlaPolicy[] = [];
  loaded = false;
  error: string | null = null;
  private serial = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.list = [];
    this.loaded = false;
    this.error = null;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.error = null;
    try {
      const data = await get<{ policies: SlaPolicy[] }>('/api/v1/sla-policies');
      if (serial !== this.serial) return;
      this.list = data.policies;
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    }
    this.host.emit();
  }

  byId(id: number | null | undefined): SlaPolicy | undefined {
    return this.list.find((policy) => policy.id === id);
  }

  /** Admin: creates (no `id`) or changes a policy; errors by field (`targets.normal.first_response`), empty when saved. */
  async save(form: PolicyForm, id?: number): Promise<FieldErrors> {
    try {
      const body = { ...form, name: form.name.trim() };
      if (id === undefined) await post('/api/v1/sla-policies', body);
      else await put(`/api/v1/sla-policies/${id}`, body);
      await this.load();
      return {};
    } catch (error) {
      const errors = fieldErrors(error, this.host, POLICY_FIELDS.map((name) => (['name', 'position', 'is_active'].includes(name) ? name : `rules.${name}`)));
      // The form shows them by the names under `rules`.
      return Object.fromEntries(Object.entries(errors).map(([name, text]) => [name.replace(/^rules\./, ''), text]));
    } finally {
      this.host.emit();
    }
  }

  /** Admin: moves a policy one place up or down (positions renumbered 0, 1, 2 …). */
  async move(policy: SlaPolicy, delta: -1 | 1): Promise<void> {
    const ordered = [...this.list];
    const index = ordered.findIndex((other) => other.id === policy.id);
    const target = index + delta;
    if (index < 0 || target < 0 || target >= ordered.length) return;
    [ordered[index], ordered[target]] = [ordered[target], ordered[index]];
    try {
      for (const [position, other] of ordered.entries()) {
        if (other.position === position) continue;
        const { id, ...form } = other;
        await put(`/api/v1/sla-policies/${id}`, { ...form, position });
      }
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
    }
    await this.load();
  }
}

/**
 * An `sla.breached` event: supervisors and admins are told ("#1042: first response overdue")
 * when the policy says to notify. Once per breach (the tag), however often it is replayed.
 */
export function slaBreachNews(data: any, me: Agent | null, t: Translate): News | null {
  if (!isSupervisor(me) || !data || typeof data.conversation_id !== 'number') return null;
  if (data.escalation && data.escalation.notify === false) return null;
  const target = (TARGETS as readonly string[]).includes(data.target) ? (data.target as TargetName) : null;
  return {
    title: t('slaBreachedAlert', { number: data.number ?? data.conversation_id, target: target ? t(`slaOverdue_${target}`) : String(data.target || '') }),
    body: '',
    tag: `helpline-sla-${data.conversation_id}-${data.target}-${data.due_at}`,
    conversationId: data.conversation_id,
  };
}

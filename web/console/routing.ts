/**
 * Routing rules (docs/protocol.md, "Rule" and `/api/v1/routing/*`, admin only): the ordered
 * list, saving one (the server checks every field/op/value and answers 422 naming the part,
 * `rule.conditions.1`), enabling, reordering, and the dry run "test a message". There are no
 * events for rules: the list is read when the page opens and after each change here.
 *
 * The editor works on drafts: a condition's value is kept as typed (text, lines, choices) and
 * turned into what the server takes only when saved, so a half-typed list is never lost.
 */
import { ApiError, del, get, post, put } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import type { CustomField, Inbox, Priority } from './types';

export type Match = 'all' | 'any';

export interface Condition {
  field: string;
  op: string;
  value?: unknown;
  negate?: boolean;
}

export type RuleAction = { type: string; value?: unknown; key?: string };

export interface Rule {
  name: string;
  enabled: boolean;
  match: Match;
  conditions: Condition[];
  actions: RuleAction[];
  stop: boolean;
}

export interface StoredRule extends Rule {
  id: number;
  position: number;
}

export type RuleStatus = 'matched' | 'not_matched' | 'disabled' | 'not_reached';

/** What `POST /routing/test` answers. */
export interface TestResult {
  trace: {
    rule_id: number;
    name: string;
    matched: boolean;
    status: RuleStatus;
    reason: string;
    conditions: { index: number; field: string; op: string; matched: boolean; reason: string }[];
  }[];
  effect: {
    team_id: number | null;
    category_id: number | null;
    priority: Priority | null;
    tags: string[];
    sla_policy_id: number | null;
    assignee_id: number | null;
    auto_replies: string[];
    fields: Record<string, unknown>;
    set_by: Record<string, number>;
  };
  matched_rule_ids: number[];
  names: { team?: string | null; category?: string | null; sla_policy?: string | null; assignee?: string | null };
  language: string | null;
}

export interface TestInput {
  channel: string;
  inbox_id?: number;
  text: string;
  contact?: Record<string, string>;
  page_url?: string;
  in_business_hours: boolean;
}

export const CHANNELS = ['web', 'email', 'telegram', 'vk', 'viber', 'whatsapp', 'phone', 'form'] as const;
export const LANGUAGES = ['ru', 'en'] as const;

/** The condition fields and their ops (helpline/desk/rules.py, FIELD_OPS). */
const CONTACT_OPS = ['is', 'contains', 'ends_with', 'is_set', 'regex'];
const CUSTOM_OPS = ['is', 'in', 'contains', 'gt', 'lt', 'is_set'];
const FIELD_OPS: Record<string, string[]> = {
  channel: ['is', 'in'],
  inbox_id: ['is', 'in'],
  text: ['contains_words', 'contains_any', 'contains_phrase', 'regex', 'is_empty'],
  'contact.name': CONTACT_OPS,
  'contact.email': CONTACT_OPS,
  'contact.phone': CONTACT_OPS,
  page_url: ['contains', 'starts_with', 'glob', 'regex'],
  language: ['is', 'in'],
  business_hours: ['is'],
  priority: ['is', 'in', 'at_least'],
};
/** The fields the picker lists, in this order; `contact.*` and `custom.*` follow. */
export const PLAIN_FIELDS = ['text', 'channel', 'inbox_id', 'language', 'page_url', 'business_hours', 'priority', 'contact.name', 'contact.email', 'contact.phone'];

export function opsOf(field: string): string[] {
  if (FIELD_OPS[field]) return FIELD_OPS[field];
  if (field.startsWith('contact.')) return CONTACT_OPS;
  if (field.startsWith('custom.')) return CUSTOM_OPS;
  return [];
}

export const ACTION_TYPES = ['set_team', 'set_category', 'set_priority', 'add_tags', 'set_sla_policy', 'assign_agent', 'auto_reply', 'set_field'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
/** Actions a rule may have more than once; every other kind sets one value. */
export const REPEATABLE: readonly string[] = ['add_tags', 'auto_reply'];

/**
 * How a condition's value is typed: nothing, a line of text, one item per line, a number,
 * one of a list, several of a list.
 */
export type ValueKind = 'none' | 'text' | 'lines' | 'number' | 'choice' | 'choices';

export interface Choice {
  value: string;
  label: string;
}

/** What the pickers offer: the account's inboxes, custom fields and the rest, with their names. */
export interface Catalog {
  inboxes: Inbox[];
  fields: CustomField[];
  channelName(channel: string): string;
  priorityName(priority: string): string;
  t: Host['t'];
}

export function valueKind(field: string, op: string, catalog: Catalog): ValueKind {
  if (op === 'is_empty' || op === 'is_set') return 'none';
  if (field === 'channel' || field === 'inbox_id' || field === 'language' || field === 'priority') return op === 'in' ? 'choices' : 'choice';
  if (field === 'business_hours') return 'choice';
  if (field === 'text' && op === 'contains_any') return 'lines';
  if (field.startsWith('custom.')) {
    const custom = catalog.fields.find((item) => `custom.${item.key}` === field);
    if (op === 'gt' || op === 'lt') return 'number';
    const listed = custom && (custom.type === 'select' || custom.type === 'multiselect');
    if (op === 'in') return listed ? 'choices' : 'lines';
    if (op === 'is') return listed ? 'choice' : custom?.type === 'number' ? 'number' : 'text';
  }
  return 'text';
}

export function choicesOf(field: string, catalog: Catalog): Choice[] {
  const t = catalog.t;
  if (field === 'channel') return CHANNELS.map((channel) => ({ value: channel, label: catalog.channelName(channel) }));
  if (field === 'inbox_id') return catalog.inboxes.map((inbox) => ({ value: String(inbox.id), label: `${inbox.name} · ${catalog.channelName(inbox.channel)}` }));
  if (field === 'language') return LANGUAGES.map((language) => ({ value: language, label: t(`lang_${language}`) }));
  if (field === 'priority') return (['low', 'normal', 'high', 'urgent'] as const).map((priority) => ({ value: priority, label: catalog.priorityName(priority) }));
  if (field === 'business_hours') return (['inside', 'outside'] as const).map((value) => ({ value, label: t(`routingHours_${value}`) }));
  const custom = catalog.fields.find((item) => `custom.${item.key}` === field);
  return (custom?.options || []).map((option) => ({ value: option, label: option }));
}

/** A condition as the editor holds it: `text` for typed kinds, `list` for choices. */
export interface ConditionDraft {
  field: string;
  op: string;
  text: string;
  list: string[];
  negate: boolean;
}

export interface ActionDraft {
  type: ActionType;
  /** Ids and single values as strings; tags as typed ("vip, late"). */
  value: string;
  key: string;
}

export interface RuleDraft {
  name: string;
  enabled: boolean;
  match: Match;
  conditions: ConditionDraft[];
  actions: ActionDraft[];
  stop: boolean;
}

export const newCondition = (field = 'text'): ConditionDraft => ({ field, op: opsOf(field)[0], text: '', list: [], negate: false });
export const newAction = (type: ActionType = 'set_priority'): ActionDraft => ({ type, value: type === 'set_priority' ? 'high' : '', key: '' });

export function emptyDraft(): RuleDraft {
  return { name: '', enabled: true, match: 'all', conditions: [newCondition()], actions: [newAction()], stop: false };
}

const asText = (value: unknown): string => (value === null || value === undefined ? '' : Array.isArray(value) ? value.map(String).join('\n') : String(value));

export function draftOf(rule: Rule, catalog: Catalog): RuleDraft {
  return {
    name: rule.name,
    enabled: rule.enabled,
    match: rule.match,
    stop: rule.stop,
    conditions: rule.conditions.map((condition) => {
      const kind = valueKind(condition.field, condition.op, catalog);
      const value = condition.value;
      return {
        field: condition.field,
        op: condition.op,
        negate: !!condition.negate,
        text: kind === 'choices' ? '' : asText(value),
        list: kind === 'choices' && Array.isArray(value) ? value.map(String) : kind === 'choice' ? [asText(value)] : [],
      };
    }),
    actions: rule.actions.map((action) => ({
      type: (ACTION_TYPES as readonly string[]).includes(action.type) ? (action.type as ActionType) : 'set_priority',
      value: action.type === 'add_tags' && Array.isArray(action.value) ? action.value.join(', ') : asText(action.value),
      key: action.key || '',
    })),
  };
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** A typed number as a number; anything else as typed, for the server to refuse by its field. */
function numberOf(text: string): unknown {
  const value = Number(text.trim().replace(',', '.'));
  return text.trim() !== '' && Number.isFinite(value) ? value : text.trim();
}

export function conditionOut(draft: ConditionDraft, catalog: Catalog): Condition {
  const kind = valueKind(draft.field, draft.op, catalog);
  const asId = draft.field === 'inbox_id';
  const id = (value: string) => (asId ? Number(value) : value);
  let value: unknown;
  if (kind === 'none') value = null;
  else if (kind === 'text') value = draft.text.trim();
  else if (kind === 'lines') value = lines(draft.text);
  else if (kind === 'number') value = numberOf(draft.text);
  else if (kind === 'choice') value = draft.list[0] ? id(draft.list[0]) : null;
  else value = draft.list.map(id);
  return { field: draft.field, op: draft.op, value, negate: draft.negate };
}

/** "vip, late urgent" → ["vip", "late", "urgent"]. */
export function tagsOf(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((tag) => tag.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}

export function actionOut(draft: ActionDraft, catalog: Catalog): RuleAction {
  const id = (text: string) => (/^\d+$/.test(text) ? Number(text) : text || null);
  switch (draft.type) {
    case 'set_team':
    case 'set_category':
    case 'set_sla_policy':
    case 'assign_agent':
      return { type: draft.type, value: id(draft.value) };
    case 'add_tags':
      return { type: draft.type, value: tagsOf(draft.value) };
    case 'auto_reply':
      return { type: draft.type, value: draft.value.trim() };
    case 'set_field': {
      const field = catalog.fields.find((item) => item.key === draft.key);
      const value = draft.value.trim() === '' ? null : field?.type === 'number' ? numberOf(draft.value) : draft.value.trim();
      return { type: draft.type, key: draft.key, value };
    }
    default:
      return { type: draft.type, value: draft.value };
  }
}

export function ruleOut(draft: RuleDraft, catalog: Catalog): Rule {
  return {
    name: draft.name.trim(),
    enabled: draft.enabled,
    match: draft.match,
    conditions: draft.conditions.map((condition) => conditionOut(condition, catalog)),
    actions: draft.actions.map((action) => actionOut(action, catalog)),
    stop: draft.stop,
  };
}

/** The parts of a rule a refusal may name (`rule.conditions.1`, `rule.actions.0.value`). */
export function ruleFields(draft: RuleDraft): string[] {
  const names = ['rule.name', 'rule.match', 'rule.enabled', 'rule.stop', 'rule.conditions', 'rule.actions'];
  draft.conditions.forEach((_, index) => names.push(`rule.conditions.${index}`));
  draft.actions.forEach((_, index) => names.push(`rule.actions.${index}`));
  return names;
}

/** A stored rule as given: rules stored by other means (the demo's seed) may leave the defaults out. */
function withDefaults(rule: Partial<StoredRule>): StoredRule {
  return { enabled: true, match: 'all', conditions: [], actions: [], stop: false, name: '', id: 0, position: 0, ...rule } as StoredRule;
}

export class RoutingRules {
  rules: StoredRule[] = [];
  loaded = false;
  error: string | null = null;
  private serial = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.rules = [];
    this.loaded = false;
    this.error = null;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.error = null;
    try {
      const data = await get<{ rules: Partial<StoredRule>[] }>('/api/v1/routing/rules');
      if (serial !== this.serial) return;
      this.rules = data.rules.map(withDefaults);
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    }
    this.host.emit();
  }

  /** Creates (no `id`) or replaces a rule; resolves to errors by part, empty when saved. */
  async save(rule: Rule, known: readonly string[], id?: number): Promise<FieldErrors> {
    try {
      if (id === undefined) await post('/api/v1/routing/rules', rule);
      else await put(`/api/v1/routing/rules/${id}`, rule);
      await this.load();
      return {};
    } catch (error) {
      return fieldErrors(error, this.host, known);
    } finally {
      this.host.emit();
    }
  }

  async setEnabled(rule: StoredRule, enabled: boolean): Promise<void> {
    const { id, position, ...stored } = rule;
    const errors = await this.save({ ...stored, enabled }, [], id);
    if (Object.keys(errors).length) this.host.showToast(Object.values(errors)[0]);
  }

  async remove(rule: StoredRule): Promise<void> {
    try {
      await del(`/api/v1/routing/rules/${rule.id}`);
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
    }
    await this.load();
  }

  /** Puts the rules in this order (every rule once). */
  async reorder(ids: number[]): Promise<void> {
    const before = this.rules;
    const byId = new Map(before.map((rule) => [rule.id, rule]));
    // Shown at once; the server's answer (or a reload after a refusal) settles it.
    this.rules = ids.map((id) => byId.get(id)).filter((rule): rule is StoredRule => !!rule);
    this.host.emit();
    try {
      this.rules = (await put<{ rules: Partial<StoredRule>[] }>('/api/v1/routing/order', { ids })).rules.map(withDefaults);
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
      await this.load();
    }
    this.host.emit();
  }

  move(rule: StoredRule, delta: -1 | 1): Promise<void> {
    const ids = this.rules.map((other) => other.id);
    const index = ids.indexOf(rule.id);
    const target = index + delta;
    if (index < 0 || target < 0 || target >= ids.length) return Promise.resolve();
    [ids[index], ids[target]] = [ids[target], ids[index]];
    return this.reorder(ids);
  }

  /** The dry run: what the rules would do with such a message (nothing is stored). */
  test(input: TestInput): Promise<TestResult> {
    return post<TestResult>('/api/v1/routing/test', input);
  }
}

/**
 * The editor of one routing rule: its name, "all" or "any" of its conditions, the conditions
 * (a field, the ops valid for it, a value typed the way the field wants it, negation), the
 * actions (team, category, priority, tags, SLA policy, assignee, auto-reply, a custom field)
 * and "stop". The server checks the rule as a whole; its refusal names the part
 * (`rule.conditions.1`), and the message shows next to that condition or action.
 */
import { useState } from 'preact/hooks';
import { channelName } from './filter-bar';
import type { FieldErrors } from './host';
import type { StringKey } from './i18n';
import {
  ACTION_TYPES,
  choicesOf,
  draftOf,
  emptyDraft,
  newAction,
  newCondition,
  opsOf,
  PLAIN_FIELDS,
  REPEATABLE,
  ruleFields,
  ruleOut,
  valueKind,
  type ActionDraft,
  type ActionType,
  type Catalog,
  type ConditionDraft,
  type RuleDraft,
  type StoredRule,
} from './routing';
import type { Store } from './store';
import { treeOrder } from './taxonomy';
import { PRIORITIES } from './types';
import { FieldError } from './ui';

/** What the pickers offer, from what the console has loaded. */
export function catalogOf(s: Store): Catalog {
  return { inboxes: s.forms.inboxes, fields: s.taxonomy.fields, channelName: (channel) => channelName(channel, s.t), priorityName: (priority) => s.t(`priority_${priority}` as StringKey), t: s.t };
}

/** "Text", "Contact: e-mail", "Field: Order number", "Contact: city". */
export function fieldLabel(s: Store, field: string): string {
  const t = s.t;
  if ((PLAIN_FIELDS as string[]).includes(field)) return t(`ruleField_${field.replace('.', '_')}` as StringKey);
  if (field.startsWith('custom.')) {
    const key = field.slice('custom.'.length);
    return t('ruleFieldCustomN', { name: s.taxonomy.field(key)?.label || key });
  }
  if (field.startsWith('contact.')) return t('ruleFieldContactN', { name: field.slice('contact.'.length) });
  return field;
}

export const opLabel = (s: Store, op: string) => {
  const key = `ruleOp_${op}` as StringKey;
  const text = s.t(key);
  return text === key ? op : text;
};

/** A contact attribute other than name, e-mail and phone: its key is typed. */
const OTHER_CONTACT = 'contact.*';
const isOtherContact = (field: string) => field.startsWith('contact.') && !PLAIN_FIELDS.includes(field);

export function RuleEditor({ s, rule, onDone }: { s: Store; rule?: StoredRule; onDone: () => void }) {
  const t = s.t;
  const catalog = catalogOf(s);
  const [draft, setDraft] = useState<RuleDraft>(() => (rule ? draftOf(rule, catalog) : emptyDraft()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const change = (next: Partial<RuleDraft>, errorKey?: string) => {
    setDraft({ ...draft, ...next });
    if (errorKey && errors[errorKey]) setErrors({ ...errors, [errorKey]: '' });
  };
  const setCondition = (index: number, condition: ConditionDraft) =>
    change({ conditions: draft.conditions.map((other, i) => (i === index ? condition : other)) }, `rule.conditions.${index}`);
  const setAction = (index: number, action: ActionDraft) => change({ actions: draft.actions.map((other, i) => (i === index ? action : other)) }, `rule.actions.${index}`);
  // Errors are by position: removing a row moves the later ones up, so they are cleared.
  const removeAt = (part: 'conditions' | 'actions', index: number) => {
    setErrors({});
    if (part === 'conditions') change({ conditions: draft.conditions.filter((_, i) => i !== index) });
    else change({ actions: draft.actions.filter((_, i) => i !== index) });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!draft.name.trim()) return setErrors({ 'rule.name': t('nameRequired') });
    if (!draft.actions.length) return setErrors({ 'rule.actions': t('ruleNeedsAction') });
    setBusy(true);
    const result = await s.routing.save(ruleOut(draft, catalog), ruleFields(draft), rule?.id);
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) {
      s.showToast(t('ruleSaved', { name: draft.name.trim() }), 'info');
      onDone();
    }
  };

  // A single-valued action once per rule: the type picker offers the ones not taken yet.
  const taken = (except: number) => new Set(draft.actions.filter((action, i) => i !== except && !REPEATABLE.includes(action.type) && action.type !== 'set_field').map((action) => action.type));
  const nextAction = (): ActionType => ACTION_TYPES.find((type) => !taken(-1).has(type)) || 'add_tags';

  return (
    <form class="cn-form cn-rule-editor" data-testid="cn-rule-form" data-rule-id={rule?.id ?? ''} onSubmit={submit} noValidate>
      <div class="cn-rule-top">
        <label class="cn-rule-name">
          <span>{t('ruleName')}</span>
          <input
            type="text"
            data-testid="cn-rule-name"
            maxLength={200}
            value={draft.name}
            placeholder={t('ruleNamePlaceholder')}
            aria-invalid={errors['rule.name'] ? true : undefined}
            onInput={(e) => change({ name: (e.currentTarget as HTMLInputElement).value }, 'rule.name')}
          />
          <FieldError errors={errors} name="rule.name" />
        </label>
        <label>
          <span>{t('ruleMatch')}</span>
          <select data-testid="cn-rule-match" value={draft.match} onChange={(e) => change({ match: (e.currentTarget as HTMLSelectElement).value as RuleDraft['match'] })}>
            <option value="all">{t('ruleMatch_all')}</option>
            <option value="any">{t('ruleMatch_any')}</option>
          </select>
        </label>
        <label class="cn-check">
          <input type="checkbox" data-testid="cn-rule-form-enabled" checked={draft.enabled} onChange={(e) => change({ enabled: (e.currentTarget as HTMLInputElement).checked })} />
          <span>{t('ruleEnabled')}</span>
        </label>
      </div>

      <fieldset class="cn-fieldset" data-testid="cn-rule-conditions">
        <legend>{t('ruleConditions')}</legend>
        {!draft.conditions.length && <p class="cn-muted cn-small">{t('ruleNoConditions')}</p>}
        {draft.conditions.map((condition, index) => (
          <ConditionRow key={index} s={s} catalog={catalog} index={index} condition={condition} error={errors[`rule.conditions.${index}`]} onChange={(next) => setCondition(index, next)} onRemove={() => removeAt('conditions', index)} />
        ))}
        <FieldError errors={errors} name="rule.conditions" />
        <div>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-condition-add" disabled={draft.conditions.length >= 20} onClick={() => change({ conditions: [...draft.conditions, newCondition()] })}>
            + {t('ruleAddCondition')}
          </button>
        </div>
      </fieldset>

      <fieldset class="cn-fieldset" data-testid="cn-rule-actions">
        <legend>{t('ruleActions')}</legend>
        {draft.actions.map((action, index) => (
          <ActionRow key={index} s={s} index={index} action={action} taken={taken(index)} error={errors[`rule.actions.${index}`]} onChange={(next) => setAction(index, next)} onRemove={() => removeAt('actions', index)} />
        ))}
        <FieldError errors={errors} name="rule.actions" />
        <div>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-action-add" disabled={draft.actions.length >= 20} onClick={() => change({ actions: [...draft.actions, newAction(nextAction())] }, 'rule.actions')}>
            + {t('ruleAddAction')}
          </button>
        </div>
      </fieldset>

      <label class="cn-check">
        <input type="checkbox" data-testid="cn-rule-stop" checked={draft.stop} onChange={(e) => change({ stop: (e.currentTarget as HTMLInputElement).checked })} />
        <span>{t('ruleStop')}</span>
      </label>
      <FieldError errors={errors} name="rule.stop" />
      <FieldError errors={errors} name="rule.match" />
      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="button" class="cn-btn" data-testid="cn-rule-cancel" onClick={onDone}>
          {t('cancel')}
        </button>
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-rule-save" disabled={busy}>
          {busy ? t('saving') : rule ? t('save') : t('ruleCreate')}
        </button>
      </div>
    </form>
  );
}

interface ConditionProps {
  s: Store;
  catalog: Catalog;
  index: number;
  condition: ConditionDraft;
  error?: string;
  onChange: (condition: ConditionDraft) => void;
  onRemove: () => void;
}

function ConditionRow({ s, catalog, index, condition, error, onChange, onRemove }: ConditionProps) {
  const t = s.t;
  const ops = opsOf(condition.field);
  const kind = valueKind(condition.field, condition.op, catalog);
  const choices = kind === 'choice' || kind === 'choices' ? choicesOf(condition.field, catalog) : [];
  const customs = s.taxonomy.fields.filter((field) => field.is_active || `custom.${field.key}` === condition.field);
  const pickField = (field: string) => {
    const next = opsOf(field);
    onChange({ ...condition, field, op: next.includes(condition.op) ? condition.op : next[0], text: '', list: [] });
  };
  const selected = isOtherContact(condition.field) ? OTHER_CONTACT : condition.field;
  return (
    <div class={`cn-condition${error ? ' is-invalid' : ''}`} data-testid="cn-condition" data-index={index} data-field={condition.field} data-op={condition.op}>
      <div class="cn-condition-row">
        <label class="cn-check cn-negate" title={t('ruleNegateHint')}>
          <input type="checkbox" data-testid="cn-condition-negate" checked={condition.negate} onChange={(e) => onChange({ ...condition, negate: (e.currentTarget as HTMLInputElement).checked })} />
          <span>{t('ruleNegate')}</span>
        </label>
        <select
          data-testid="cn-condition-field"
          aria-label={t('ruleField')}
          value={selected}
          onChange={(e) => {
            const value = (e.currentTarget as HTMLSelectElement).value;
            pickField(value === OTHER_CONTACT ? 'contact.' : value);
          }}
        >
          {PLAIN_FIELDS.map((field) => (
            <option key={field} value={field}>
              {fieldLabel(s, field)}
            </option>
          ))}
          <option value={OTHER_CONTACT}>{t('ruleFieldContactOther')}</option>
          {customs.length > 0 && (
            <optgroup label={t('fieldsTitle')}>
              {customs.map((field) => (
                <option key={field.key} value={`custom.${field.key}`}>
                  {field.label}
                </option>
              ))}
            </optgroup>
          )}
        </select>
        {selected === OTHER_CONTACT && (
          <input
            type="text"
            class="cn-mono cn-condition-key"
            data-testid="cn-condition-key"
            aria-label={t('ruleContactKey')}
            placeholder={t('ruleContactKey')}
            maxLength={64}
            value={condition.field.slice('contact.'.length)}
            onInput={(e) => onChange({ ...condition, field: `contact.${(e.currentTarget as HTMLInputElement).value.trim()}` })}
          />
        )}
        <select data-testid="cn-condition-op" aria-label={t('ruleOp')} value={condition.op} onChange={(e) => onChange({ ...condition, op: (e.currentTarget as HTMLSelectElement).value, list: kind === 'choices' ? condition.list : condition.list.slice(0, 1) })}>
          {ops.map((op) => (
            <option key={op} value={op}>
              {opLabel(s, op)}
            </option>
          ))}
        </select>
        <div class="cn-condition-value">
          {kind === 'text' || kind === 'number' ? (
            <input
              type="text"
              class={condition.op === 'regex' || condition.op === 'glob' ? 'cn-mono' : undefined}
              data-testid="cn-condition-value"
              aria-label={t('ruleValue')}
              inputMode={kind === 'number' ? 'decimal' : undefined}
              maxLength={500}
              placeholder={t(`rulePlaceholder_${condition.op === 'regex' ? 'regex' : condition.op === 'contains_words' ? 'words' : kind === 'number' ? 'number' : 'text'}`)}
              value={condition.text}
              aria-invalid={error ? true : undefined}
              onInput={(e) => onChange({ ...condition, text: (e.currentTarget as HTMLInputElement).value })}
            />
          ) : kind === 'lines' ? (
            <textarea data-testid="cn-condition-value" aria-label={t('ruleValue')} rows={3} placeholder={t('rulePlaceholder_lines')} value={condition.text} aria-invalid={error ? true : undefined} onInput={(e) => onChange({ ...condition, text: (e.currentTarget as HTMLTextAreaElement).value })} />
          ) : kind === 'choice' ? (
            <select data-testid="cn-condition-value" aria-label={t('ruleValue')} value={condition.list[0] || ''} aria-invalid={error ? true : undefined} onChange={(e) => onChange({ ...condition, list: [(e.currentTarget as HTMLSelectElement).value] })}>
              <option value="">—</option>
              {choices.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          ) : kind === 'choices' ? (
            <div class="cn-chip-row" data-testid="cn-condition-value" role="group" aria-label={t('ruleValue')}>
              {choices.map((choice) => (
                <label key={choice.value} class="cn-chip-check">
                  <input
                    type="checkbox"
                    data-testid="cn-condition-choice"
                    data-value={choice.value}
                    checked={condition.list.includes(choice.value)}
                    onChange={(e) => {
                      const on = (e.currentTarget as HTMLInputElement).checked;
                      onChange({ ...condition, list: on ? [...condition.list, choice.value] : condition.list.filter((value) => value !== choice.value) });
                    }}
                  />
                  {choice.label}
                </label>
              ))}
              {!choices.length && <span class="cn-muted cn-small">{t('ruleNoChoices')}</span>}
            </div>
          ) : (
            <span class="cn-muted cn-small">{t('ruleNoValue')}</span>
          )}
        </div>
        <button type="button" class="cn-icon-btn cn-icon-dark" data-testid="cn-condition-remove" aria-label={t('remove')} title={t('remove')} onClick={onRemove}>
          ×
        </button>
      </div>
      {error && (
        <div class="cn-field-error" data-testid="cn-field-error" data-field={`rule.conditions.${index}`} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

interface ActionProps {
  s: Store;
  index: number;
  action: ActionDraft;
  /** Single-valued types other actions of the rule have. */
  taken: Set<string>;
  error?: string;
  onChange: (action: ActionDraft) => void;
  onRemove: () => void;
}

function ActionRow({ s, index, action, taken, error, onChange, onRemove }: ActionProps) {
  const t = s.t;
  return (
    <div class={`cn-action${error ? ' is-invalid' : ''}`} data-testid="cn-action" data-index={index} data-type={action.type}>
      <div class="cn-condition-row">
        <select
          data-testid="cn-action-type"
          aria-label={t('ruleActionType')}
          value={action.type}
          onChange={(e) => {
            const type = (e.currentTarget as HTMLSelectElement).value as ActionType;
            onChange(newAction(type));
          }}
        >
          {ACTION_TYPES.filter((type) => type === action.type || !taken.has(type)).map((type) => (
            <option key={type} value={type}>
              {t(`ruleAction_${type}`)}
            </option>
          ))}
        </select>
        <div class="cn-condition-value">
          <ActionValue s={s} action={action} invalid={!!error} onChange={onChange} />
        </div>
        <button type="button" class="cn-icon-btn cn-icon-dark" data-testid="cn-action-remove" aria-label={t('remove')} title={t('remove')} onClick={onRemove}>
          ×
        </button>
      </div>
      {error && (
        <div class="cn-field-error" data-testid="cn-field-error" data-field={`rule.actions.${index}`} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** A select of named things by id, keeping one that is no longer offered (archived) as it is. */
function IdSelect({ value, items, onChange, invalid, testid, label, empty }: { value: string; items: { id: number; name: string }[]; onChange: (value: string) => void; invalid: boolean; testid: string; label: string; empty: string }) {
  const known = !value || items.some((item) => String(item.id) === value);
  return (
    <select data-testid={testid} aria-label={label} value={value} aria-invalid={invalid ? true : undefined} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
      <option value="">{empty}</option>
      {items.map((item) => (
        <option key={item.id} value={String(item.id)}>
          {item.name}
        </option>
      ))}
      {!known && <option value={value}>#{value}</option>}
    </select>
  );
}

function ActionValue({ s, action, invalid, onChange }: { s: Store; action: ActionDraft; invalid: boolean; onChange: (action: ActionDraft) => void }) {
  const t = s.t;
  const set = (value: string) => onChange({ ...action, value });
  const common = { value: action.value, onChange: set, invalid, testid: 'cn-action-value', label: t('ruleValue'), empty: t('ruleChoose') };
  switch (action.type) {
    case 'set_team':
      return <IdSelect {...common} items={s.teams.list} />;
    case 'set_category':
      return <IdSelect {...common} items={treeOrder(s.taxonomy.categories).map(({ category }) => ({ id: category.id, name: s.taxonomy.categoryPath(category.id) + (category.is_active ? '' : ` (${t('archived')})`) }))} />;
    case 'set_sla_policy':
      return <IdSelect {...common} items={s.sla.list.map((policy) => ({ id: policy.id, name: policy.name + (policy.is_active ? '' : ` (${t('archived')})`) }))} />;
    case 'assign_agent':
      return <IdSelect {...common} items={s.team.list.filter((agent) => agent.is_active || String(agent.id) === action.value)} />;
    case 'set_priority':
      return (
        <select data-testid="cn-action-value" aria-label={t('priority')} value={action.value} onChange={(e) => set((e.currentTarget as HTMLSelectElement).value)}>
          {PRIORITIES.map((priority) => (
            <option key={priority} value={priority}>
              {t(`priority_${priority}`)}
            </option>
          ))}
        </select>
      );
    case 'add_tags':
      return (
        <>
          <input type="text" data-testid="cn-action-value" aria-label={t('tags')} placeholder={t('ruleTagsPlaceholder')} maxLength={1000} value={action.value} aria-invalid={invalid ? true : undefined} onInput={(e) => set((e.currentTarget as HTMLInputElement).value)} />
          <small class="cn-muted">{t('ruleTagsHint')}</small>
        </>
      );
    case 'auto_reply':
      return (
        <>
          <textarea data-testid="cn-action-value" aria-label={t('ruleAction_auto_reply')} rows={3} maxLength={2000} value={action.value} aria-invalid={invalid ? true : undefined} onInput={(e) => set((e.currentTarget as HTMLTextAreaElement).value)} />
          <small class="cn-muted">
            {t('ruleAutoReplyHint')}{' '}
            {['{{queue.position}}', '{{queue.wait}}'].map((placeholder) => (
              <button key={placeholder} type="button" class="cn-chip" data-testid="cn-action-placeholder" onClick={() => set(`${action.value}${action.value && !/\s$/.test(action.value) ? ' ' : ''}${placeholder}`)}>
                {placeholder}
              </button>
            ))}
          </small>
        </>
      );
    case 'set_field': {
      const field = s.taxonomy.field(action.key);
      return (
        <span class="cn-inline-fields">
          <select data-testid="cn-action-key" aria-label={t('ruleFieldToSet')} value={action.key} aria-invalid={invalid ? true : undefined} onChange={(e) => onChange({ ...action, key: (e.currentTarget as HTMLSelectElement).value, value: '' })}>
            <option value="">{t('ruleChoose')}</option>
            {s.taxonomy.fields
              .filter((item) => item.is_active || item.key === action.key)
              .map((item) => (
                <option key={item.key} value={item.key}>
                  {item.label}
                </option>
              ))}
          </select>
          {field?.type === 'select' || field?.type === 'multiselect' ? (
            <select data-testid="cn-action-value" aria-label={t('ruleValue')} value={action.value} onChange={(e) => set((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">{t('ruleClearField')}</option>
              {(field.options || []).map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          ) : (
            <input
              type={field?.type === 'date' ? 'date' : 'text'}
              data-testid="cn-action-value"
              aria-label={t('ruleValue')}
              inputMode={field?.type === 'number' ? 'decimal' : undefined}
              placeholder={t('ruleClearField')}
              maxLength={1000}
              value={action.value}
              aria-invalid={invalid ? true : undefined}
              onInput={(e) => set((e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </span>
      );
    }
    default:
      return null;
  }
}

/**
 * The site's proactive invitation rules (docs/protocol.md, "Proactive invitations"): the
 * widget shows the first enabled rule, in this order, whose every set condition holds. Each
 * rule shows how often it was shown and accepted. Empty conditions are sent as null (no
 * condition); the server validates the rest and a refusal lands next to the field it names.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FieldErrors } from './host';
import type { Translate } from './i18n';
import type { Invitation, InvitationConditions, InvitationFrequency, InvitationStats } from './types';
import { FieldError } from './ui';

export const MAX_INVITATIONS = 20;
const FREQUENCIES: readonly InvitationFrequency[] = ['once_per_visit', 'once_per_day', 'once', 'every_page'];
type NumberCondition = 'time_on_page' | 'time_on_site' | 'pages_viewed' | 'visit_number';
const NUMBERS: readonly NumberCondition[] = ['time_on_page', 'time_on_site', 'pages_viewed', 'visit_number'];
export const EMPTY_CONDITIONS: InvitationConditions = {
  time_on_page: null,
  time_on_site: null,
  url: null,
  pages_viewed: null,
  visit_number: null,
  referrer: null,
  utm: null,
  countries: null,
  only_when_online: true,
};

/** A rule as the form edits it: every field present. */
export function editableInvitation(rule: Partial<Invitation>): Invitation {
  return {
    id: rule.id || '',
    text: rule.text || '',
    enabled: rule.enabled ?? true,
    frequency: rule.frequency || 'once_per_visit',
    conditions: { ...EMPTY_CONDITIONS, ...(rule.conditions || {}) },
  };
}

/** "utm_source=yandex, utm_campaign=winter" ⇄ {utm_source: "yandex", …}. */
function parseUtm(text: string): Record<string, string> | null {
  const tags: Record<string, string> = {};
  for (const part of text.split(/[,;&\n]+/)) {
    const [key, ...rest] = part.split('=');
    if (key.trim()) tags[key.trim()] = rest.join('=').trim();
  }
  return Object.keys(tags).length ? tags : null;
}
const utmText = (utm: Record<string, string> | null) => (utm ? Object.entries(utm).map(([key, value]) => `${key}=${value}`).join(', ') : '');
function parseCountries(text: string): string[] | null {
  const codes = text.split(/[\s,;]+/).map((code) => code.trim().toUpperCase()).filter(Boolean);
  return codes.length ? codes : null;
}
const countriesText = (countries: string[] | null) => (countries || []).join(', ');

/**
 * A text field whose value is parsed on every keystroke: it keeps what was typed (a half-written
 * "utm_source=") and takes the value from outside only when that really changed.
 */
function ParsedInput<T>({ value, parse, format, onChange, ...rest }: { value: T; parse: (text: string) => T; format: (value: T) => string; onChange: (value: T) => void } & Record<string, unknown>) {
  const [text, setText] = useState(() => format(value));
  const last = useRef(value);
  useEffect(() => {
    if (JSON.stringify(value) !== JSON.stringify(last.current) && JSON.stringify(parse(text)) !== JSON.stringify(value)) setText(format(value));
    last.current = value;
  }, [value]);
  return (
    <input
      type="text"
      {...rest}
      value={text}
      onInput={(e) => {
        const next = (e.currentTarget as HTMLInputElement).value;
        setText(next);
        const parsed = parse(next);
        last.current = parsed;
        onChange(parsed);
      }}
    />
  );
}

let keySerial = 0;
const newKey = () => `rule-${++keySerial}`;

/** A rule id not used yet: "rule-1", "rule-2", … */
function freeId(rules: Invitation[]): string {
  for (let n = rules.length + 1; ; n++) if (!rules.some((rule) => rule.id === `rule-${n}`)) return `rule-${n}`;
}

export function InvitationsEditor({
  t,
  rules,
  stats,
  errors,
  onChange,
}: {
  t: Translate;
  rules: Invitation[];
  stats: ReadonlyMap<string, InvitationStats>;
  errors: FieldErrors;
  onChange: (rules: Invitation[], errorKey?: string) => void;
}) {
  // Stable keys for the rows, so moving a rule moves its half-typed fields with it.
  const [keys, setKeys] = useState<string[]>(() => rules.map(newKey));
  const rowKeys = keys.length === rules.length ? keys : rules.map((_, index) => keys[index] || newKey());

  const change = (next: Invitation[], nextKeys: string[], errorKey?: string) => {
    setKeys(nextKeys);
    onChange(next, errorKey);
  };
  const edit = (index: number, rule: Invitation, field: string) =>
    change(
      rules.map((other, i) => (i === index ? rule : other)),
      rowKeys,
      `invitations.${index}.${field}`,
    );
  const move = (index: number, delta: number) => {
    const target = index + delta;
    if (target < 0 || target >= rules.length) return;
    const next = [...rules];
    const nextKeys = [...rowKeys];
    [next[index], next[target]] = [next[target], next[index]];
    [nextKeys[index], nextKeys[target]] = [nextKeys[target], nextKeys[index]];
    change(next, nextKeys);
  };
  const remove = (index: number) =>
    change(
      rules.filter((_, i) => i !== index),
      rowKeys.filter((_, i) => i !== index),
    );
  const add = () => change([...rules, editableInvitation({ id: freeId(rules), text: '' })], [...rowKeys, newKey()]);

  return (
    <div class="cn-invitations" data-testid="cn-invitations">
      <p class="cn-muted cn-small">{t('invitationsHelp')}</p>
      <FieldError errors={errors} name="invitations" />
      {rules.length === 0 && <p class="cn-muted">{t('invitationsNone')}</p>}
      <ol class="cn-rules">
        {rules.map((rule, index) => (
          <RuleCard
            key={rowKeys[index]}
            t={t}
            index={index}
            count={rules.length}
            rule={rule}
            stats={stats.get(rule.id)}
            errors={errors}
            onEdit={(next, field) => edit(index, next, field)}
            onMove={(delta) => move(index, delta)}
            onRemove={() => remove(index)}
          />
        ))}
      </ol>
      <button type="button" class="cn-btn cn-btn-small" data-testid="cn-invitation-add" disabled={rules.length >= MAX_INVITATIONS} onClick={add}>
        + {t('invitationAdd')}
      </button>
    </div>
  );
}

function RuleCard({
  t,
  index,
  count,
  rule,
  stats,
  errors,
  onEdit,
  onMove,
  onRemove,
}: {
  t: Translate;
  index: number;
  count: number;
  rule: Invitation;
  stats: InvitationStats | undefined;
  errors: FieldErrors;
  onEdit: (rule: Invitation, field: string) => void;
  onMove: (delta: number) => void;
  onRemove: () => void;
}) {
  const base = `invitations.${index}`;
  const cond = rule.conditions;
  const setCondition = <K extends keyof InvitationConditions>(key: K, value: InvitationConditions[K]) => onEdit({ ...rule, conditions: { ...cond, [key]: value } }, `conditions.${key}`);
  const shown = stats?.shown ?? 0;
  const accepted = stats?.accepted ?? 0;
  const invalid = (name: string) => (errors[`${base}.${name}`] ? true : undefined);

  return (
    <li class={`cn-rule${rule.enabled ? '' : ' is-disabled'}`} data-testid="cn-invitation" data-index={index} data-id={rule.id}>
      <div class="cn-rule-head">
        <b class="cn-rule-n">{index + 1}</b>
        <label class="cn-rule-id">
          <span class="cn-sr">{t('invitationId')}</span>
          <input type="text" class="cn-mono" data-testid="cn-invitation-id" value={rule.id} maxLength={32} title={t('invitationId')} aria-invalid={invalid('id')} onInput={(e) => onEdit({ ...rule, id: (e.currentTarget as HTMLInputElement).value.trim() }, 'id')} />
        </label>
        <label class="cn-check">
          <input type="checkbox" data-testid="cn-invitation-enabled" checked={rule.enabled} onChange={(e) => onEdit({ ...rule, enabled: (e.currentTarget as HTMLInputElement).checked }, 'enabled')} />
          <span>{t('invitationEnabled')}</span>
        </label>
        <span class="cn-rule-stats" data-testid="cn-invitation-stats" data-shown={shown} data-accepted={accepted} title={t('invitationStatsTitle')}>
          {t('invitationStats', { shown, accepted })}
          {shown > 0 && <small class="cn-muted"> · {Math.round((accepted / shown) * 100)}%</small>}
        </span>
        <span class="cn-rule-tools">
          <button type="button" class="cn-icon-btn cn-icon-dark" data-testid="cn-invitation-up" aria-label={t('moveUp')} title={t('moveUp')} disabled={index === 0} onClick={() => onMove(-1)}>
            ↑
          </button>
          <button type="button" class="cn-icon-btn cn-icon-dark" data-testid="cn-invitation-down" aria-label={t('moveDown')} title={t('moveDown')} disabled={index === count - 1} onClick={() => onMove(1)}>
            ↓
          </button>
          <button type="button" class="cn-icon-btn cn-icon-dark" data-testid="cn-invitation-remove" aria-label={t('remove')} title={t('remove')} onClick={onRemove}>
            ×
          </button>
        </span>
      </div>
      <FieldError errors={errors} name={`${base}.id`} />
      <FieldError errors={errors} name={base} />
      <label>
        <span>{t('invitationText')}</span>
        <textarea data-testid="cn-invitation-text" rows={2} maxLength={300} value={rule.text} aria-invalid={invalid('text')} onInput={(e) => onEdit({ ...rule, text: (e.currentTarget as HTMLTextAreaElement).value }, 'text')} />
        <FieldError errors={errors} name={`${base}.text`} />
      </label>
      <div class="cn-form-grid cn-grid3">
        {NUMBERS.map((key) => (
          <label key={key}>
            <span>{t(`cond_${key}`)}</span>
            <input
              type="number"
              min={0}
              data-testid={`cn-cond-${key}`}
              value={cond[key] ?? ''}
              placeholder={t('condAny')}
              aria-invalid={invalid(`conditions.${key}`)}
              onInput={(e) => {
                const raw = (e.currentTarget as HTMLInputElement).value;
                setCondition(key, raw === '' ? null : Math.max(0, Math.floor(Number(raw))));
              }}
            />
            <FieldError errors={errors} name={`${base}.conditions.${key}`} />
          </label>
        ))}
        <label>
          <span>{t('frequency')}</span>
          <select data-testid="cn-invitation-frequency" value={rule.frequency} onChange={(e) => onEdit({ ...rule, frequency: (e.currentTarget as HTMLSelectElement).value as InvitationFrequency }, 'frequency')}>
            {FREQUENCIES.map((frequency) => (
              <option key={frequency} value={frequency}>
                {t(`frequency_${frequency}`)}
              </option>
            ))}
          </select>
          <FieldError errors={errors} name={`${base}.frequency`} />
        </label>
        <label>
          <span>{t('cond_url')}</span>
          <input type="text" data-testid="cn-cond-url" value={cond.url ?? ''} maxLength={500} placeholder="*/catalog/*" aria-invalid={invalid('conditions.url')} onInput={(e) => setCondition('url', (e.currentTarget as HTMLInputElement).value.trim() || null)} />
          <FieldError errors={errors} name={`${base}.conditions.url`} />
        </label>
        <label>
          <span>{t('cond_referrer')}</span>
          <input type="text" data-testid="cn-cond-referrer" value={cond.referrer ?? ''} maxLength={200} placeholder="yandex" aria-invalid={invalid('conditions.referrer')} onInput={(e) => setCondition('referrer', (e.currentTarget as HTMLInputElement).value.trim() || null)} />
          <FieldError errors={errors} name={`${base}.conditions.referrer`} />
        </label>
        <label>
          <span>{t('cond_utm')}</span>
          <ParsedInput data-testid="cn-cond-utm" value={cond.utm} parse={parseUtm} format={utmText} placeholder="utm_source=yandex" aria-invalid={invalid('conditions.utm')} onChange={(value) => setCondition('utm', value)} />
          <FieldError errors={errors} name={`${base}.conditions.utm`} />
        </label>
        <label>
          <span>{t('cond_countries')}</span>
          <ParsedInput data-testid="cn-cond-countries" value={cond.countries} parse={parseCountries} format={countriesText} placeholder="RU, BY" aria-invalid={invalid('conditions.countries')} onChange={(value) => setCondition('countries', value)} />
          <FieldError errors={errors} name={`${base}.conditions.countries`} />
        </label>
      </div>
      <label class="cn-check">
        <input type="checkbox" data-testid="cn-cond-only_when_online" checked={cond.only_when_online} onChange={(e) => setCondition('only_when_online', (e.currentTarget as HTMLInputElement).checked)} />
        <span>{t('cond_only_when_online')}</span>
      </label>
      <FieldError errors={errors} name={`${base}.conditions`} />
    </li>
  );
}

/**
 * Admin › SLA policies (/console/sla): the policies in the order they are tried, each with its
 * targets per priority (first response, next response, resolution — typed in minutes or
 * hours), the hours its clocks count, when a conversation turns "at risk", which categories
 * and inboxes it takes, and what a breach does. A policy is archived rather than deleted:
 * conversations keep the one they got.
 */
import { useState } from 'preact/hooks';
import { channelName } from './filter-bar';
import type { FieldErrors } from './host';
import { cleanHours, HoursEditor } from './hours-editor';
import { emptyRules, TARGETS, targetText, type PolicyRules, type SlaPolicy, type TargetName } from './sla';
import type { Store } from './store';
import { SettingsSubNav } from './subnav';
import { treeOrder } from './taxonomy';
import { PRIORITIES, type BusinessHours, type Priority } from './types';
import { FieldError } from './ui';

export function SlaPage({ s }: { s: Store }) {
  const t = s.t;
  const sla = s.sla;
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const policy = typeof editing === 'number' ? sla.byId(editing) : undefined;
  return (
    <main class="cn-admin cn-page-sla">
      <SettingsSubNav s={s} />
      {editing !== null && (
        <section class="cn-panel cn-sla-editor" data-testid="cn-sla-editor">
          <h2>{policy ? t('slaEdit', { name: policy.name }) : t('slaNew')}</h2>
          <PolicyEditor key={String(editing)} s={s} policy={policy} onDone={() => setEditing(null)} />
        </section>
      )}
      <section class="cn-panel" data-testid="cn-sla-policies">
        <div class="cn-panel-head">
          <h2>{t('slaTitle')}</h2>
          <button type="button" class="cn-btn cn-btn-small cn-btn-primary cn-push" data-testid="cn-sla-new" disabled={editing === 'new'} onClick={() => setEditing('new')}>
            + {t('slaNew')}
          </button>
        </div>
        <p class="cn-muted cn-small">{t('slaHelp')}</p>
        {sla.error && <p class="cn-error">{t('loadFailed', { message: sla.error })}</p>}
        {!sla.loaded && !sla.error && <p class="cn-muted">{t('loading')}</p>}
        {sla.loaded && !sla.list.length && <p class="cn-muted">{t('slaNone')}</p>}
        <ul class="cn-team-cards">
          {sla.list.map((item, index) => (
            <PolicyCard key={item.id} s={s} policy={item} first={index === 0} last={index === sla.list.length - 1} editing={editing === item.id} onEdit={() => setEditing(item.id)} />
          ))}
        </ul>
      </section>
    </main>
  );
}

function PolicyCard({ s, policy, first, last, editing, onEdit }: { s: Store; policy: SlaPolicy; first: boolean; last: boolean; editing: boolean; onEdit: () => void }) {
  const t = s.t;
  const [busy, setBusy] = useState(false);
  const rules = policy.rules;
  const archive = async () => {
    setBusy(true);
    const { id, ...form } = policy;
    const errors = await s.sla.save({ ...form, is_active: !policy.is_active }, id);
    setBusy(false);
    if (Object.keys(errors).length) s.showToast(Object.values(errors)[0]);
  };
  const scope = [
    ...rules.categories.map((id) => s.taxonomy.categoryPath(id) || `#${id}`),
    ...rules.inboxes.map((id) => s.forms.inboxes.find((inbox) => inbox.id === id)?.name || `#${id}`),
  ];
  return (
    <li class={`cn-team-card${policy.is_active ? '' : ' is-archived'}${editing ? ' is-editing' : ''}`} data-testid="cn-sla-policy" data-id={policy.id} data-name={policy.name} data-active={policy.is_active ? 'true' : 'false'}>
      <div class="cn-team-card-head">
        <b class="cn-sla-name">{policy.name}</b>
        {!policy.is_active && <span class="cn-badge">{t('archived')}</span>}
        <span class="cn-inline cn-tree-tools">
          <button type="button" class="cn-icon-btn cn-icon-btn-light" data-testid="cn-sla-up" aria-label={t('moveUp')} title={t('moveUp')} disabled={busy || first} onClick={() => void s.sla.move(policy, -1)}>
            ↑
          </button>
          <button type="button" class="cn-icon-btn cn-icon-btn-light" data-testid="cn-sla-down" aria-label={t('moveDown')} title={t('moveDown')} disabled={busy || last} onClick={() => void s.sla.move(policy, 1)}>
            ↓
          </button>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-sla-edit" disabled={editing} onClick={onEdit}>
            {t('edit')}
          </button>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-sla-archive" disabled={busy} onClick={() => void archive()}>
            {policy.is_active ? t('archive') : t('restore')}
          </button>
        </span>
      </div>
      <table class="cn-sla-summary cn-small">
        <thead>
          <tr>
            <th />
            {TARGETS.map((target) => (
              <th key={target}>{t(`slaTarget_${target}`)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {PRIORITIES.filter((priority) => rules.targets[priority]).map((priority) => (
            <tr key={priority} data-testid="cn-sla-summary-row" data-priority={priority}>
              <th>{t(`priority_${priority}`)}</th>
              {TARGETS.map((target) => (
                <td key={target}>{targetText(rules.targets[priority]?.[target], t)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div class="cn-muted cn-small">
        {rules.hours ? t('slaBusinessHoursIn', { zone: rules.hours.timezone }) : t('slaAroundTheClock')} · {t('slaAtRiskShort', { percent: Math.round(rules.at_risk * 100) })}
        {scope.length > 0 && <> · {t('slaScopeShort', { scope: scope.join(', ') })}</>}
      </div>
    </li>
  );
}

type Unit = 'min' | 'h';
interface TargetDraft {
  amount: string;
  unit: Unit;
}
type TargetsDraft = Record<Priority, Record<TargetName, TargetDraft>>;

function targetDraft(seconds: number | null | undefined): TargetDraft {
  if (!seconds) return { amount: '', unit: 'min' };
  if (seconds % 3600 === 0) return { amount: String(seconds / 3600), unit: 'h' };
  return { amount: String(Math.round((seconds / 60) * 100) / 100), unit: 'min' };
}

function targetsDraft(rules: PolicyRules): TargetsDraft {
  const out = {} as TargetsDraft;
  for (const priority of PRIORITIES) {
    out[priority] = {} as Record<TargetName, TargetDraft>;
    for (const target of TARGETS) out[priority][target] = targetDraft(rules.targets[priority]?.[target]);
  }
  return out;
}

/** Seconds for the server; what is no number is sent as typed, for it to refuse by the field. */
function targetsOut(draft: TargetsDraft): PolicyRules['targets'] {
  const out: PolicyRules['targets'] = {};
  for (const priority of PRIORITIES) {
    const targets: Record<string, unknown> = {};
    for (const target of TARGETS) {
      const { amount, unit } = draft[priority][target];
      if (!amount.trim()) continue;
      const value = Number(amount.trim().replace(',', '.'));
      targets[target] = Number.isFinite(value) ? Math.round(value * (unit === 'h' ? 3600 : 60)) : amount;
    }
    if (Object.keys(targets).length) out[priority] = targets as PolicyRules['targets'][Priority];
  }
  return out;
}

function PolicyEditor({ s, policy, onDone }: { s: Store; policy?: SlaPolicy; onDone: () => void }) {
  const t = s.t;
  const start = policy?.rules ? { ...emptyRules(), ...policy.rules } : emptyRules();
  const [name, setName] = useState(policy?.name || '');
  const [targets, setTargets] = useState<TargetsDraft>(() => targetsDraft(start));
  const [hours, setHours] = useState<BusinessHours | null>(start.hours);
  const [atRisk, setAtRisk] = useState(String(Math.round(start.at_risk * 100)));
  const [categories, setCategories] = useState<number[]>(start.categories);
  const [inboxes, setInboxes] = useState<number[]>(start.inboxes);
  const [escalation, setEscalation] = useState(start.escalation);
  const [active, setActive] = useState(policy?.is_active ?? true);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const clear = (key: string) => errors[key] && setErrors({ ...errors, [key]: '' });
  const toggle = (list: number[], id: number, on: boolean) => (on ? [...list.filter((x) => x !== id), id] : list.filter((x) => x !== id));

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!name.trim()) return setErrors({ name: t('nameRequired') });
    const share = Number(atRisk.trim().replace(',', '.'));
    setBusy(true);
    const position = policy ? policy.position : Math.min(10_000, s.sla.list.reduce((max, other) => Math.max(max, other.position + 1), 0));
    const rules = { targets: targetsOut(targets), hours: cleanHours(hours), at_risk: Number.isFinite(share) ? share / 100 : atRisk, categories, inboxes, escalation } as PolicyRules;
    const result = await s.sla.save({ name, position, is_active: active, rules }, policy?.id);
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) {
      s.showToast(t('slaSaved', { name: name.trim() }), 'info');
      onDone();
    }
  };

  const setTarget = (priority: Priority, target: TargetName, change: Partial<TargetDraft>) => {
    setTargets({ ...targets, [priority]: { ...targets[priority], [target]: { ...targets[priority][target], ...change } } });
    clear(`targets.${priority}.${target}`);
    clear('rules');
  };

  return (
    <form class="cn-form cn-sla-form" onSubmit={submit} noValidate data-testid="cn-sla-form">
      <div class="cn-form-grid">
        <label>
          <span>{t('name')}</span>
          <input
            type="text"
            data-testid="cn-sla-name"
            maxLength={100}
            value={name}
            aria-invalid={errors.name ? true : undefined}
            onInput={(e) => {
              setName((e.currentTarget as HTMLInputElement).value);
              clear('name');
            }}
          />
          <FieldError errors={errors} name="name" />
        </label>
        <label class="cn-check cn-self-end">
          <input type="checkbox" data-testid="cn-sla-active" checked={active} onChange={(e) => setActive((e.currentTarget as HTMLInputElement).checked)} />
          <span>{t('slaActive')}</span>
        </label>
      </div>

      <fieldset class="cn-fieldset" data-testid="cn-sla-targets">
        <legend>{t('slaTargets')}</legend>
        <p class="cn-muted cn-small">{t('slaTargetsHelp')}</p>
        <table class="cn-sla-targets">
          <thead>
            <tr>
              <th>{t('priority')}</th>
              {TARGETS.map((target) => (
                <th key={target}>{t(`slaTarget_${target}`)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {PRIORITIES.map((priority) => (
              <tr key={priority}>
                <th>{t(`priority_${priority}`)}</th>
                {TARGETS.map((target) => {
                  const cell = targets[priority][target];
                  const key = `targets.${priority}.${target}`;
                  return (
                    <td key={target}>
                      <span class="cn-target">
                        <input
                          type="text"
                          inputMode="decimal"
                          data-testid={`cn-sla-target-${priority}-${target}`}
                          aria-label={`${t(`priority_${priority}`)}: ${t(`slaTarget_${target}`)}`}
                          placeholder="—"
                          maxLength={8}
                          value={cell.amount}
                          aria-invalid={errors[key] || errors[`targets.${priority}`] ? true : undefined}
                          onInput={(e) => setTarget(priority, target, { amount: (e.currentTarget as HTMLInputElement).value })}
                        />
                        <select data-testid={`cn-sla-unit-${priority}-${target}`} aria-label={t('slaUnit')} value={cell.unit} onChange={(e) => setTarget(priority, target, { unit: (e.currentTarget as HTMLSelectElement).value as Unit })}>
                          <option value="min">{t('minutesShort')}</option>
                          <option value="h">{t('hoursShort')}</option>
                        </select>
                      </span>
                      <FieldError errors={errors} name={key} />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        {PRIORITIES.map((priority) => (
          <FieldError key={priority} errors={errors} name={`targets.${priority}`} />
        ))}
        <FieldError errors={errors} name="targets" />
        <FieldError errors={errors} name="rules" />
      </fieldset>

      <fieldset class="cn-fieldset" data-testid="cn-hours">
        <legend>{t('slaHours')}</legend>
        <HoursEditor
          t={t}
          hours={hours}
          onChange={(next, key) => {
            setHours(next);
            clear(key);
          }}
          errors={errors}
          onLabel="slaHoursOn"
          offText="slaHoursOff"
        />
      </fieldset>

      <fieldset class="cn-fieldset">
        <legend>{t('slaAtRisk')}</legend>
        <label>
          <span class="cn-unit-input">
            <input
              type="number"
              class="cn-capacity"
              data-testid="cn-sla-at-risk"
              min={0}
              max={100}
              value={atRisk}
              aria-invalid={errors.at_risk ? true : undefined}
              onInput={(e) => {
                setAtRisk((e.currentTarget as HTMLInputElement).value);
                clear('at_risk');
              }}
            />{' '}
            %
          </span>
          <small class="cn-muted">{t('slaAtRiskHint')}</small>
          <FieldError errors={errors} name="at_risk" />
        </label>
      </fieldset>

      <fieldset class="cn-fieldset" data-testid="cn-sla-scope">
        <legend>{t('slaScope')}</legend>
        <p class="cn-muted cn-small">{t('slaScopeHelp')}</p>
        <div class="cn-form-grid">
          <div>
            <span class="cn-label">{t('slaScopeCategories')}</span>
            <div class="cn-check-list">
              {treeOrder(s.taxonomy.categories).map(({ category, depth }) => (
                <label key={category.id} class="cn-check" style={{ paddingLeft: `${depth * 16}px` }}>
                  <input type="checkbox" data-testid="cn-sla-category" data-id={category.id} checked={categories.includes(category.id)} onChange={(e) => setCategories(toggle(categories, category.id, (e.currentTarget as HTMLInputElement).checked))} />
                  <span>{category.name}</span>
                </label>
              ))}
              {!s.taxonomy.categories.length && <span class="cn-muted cn-small">{t('categoriesNone')}</span>}
            </div>
            <FieldError errors={errors} name="categories" />
          </div>
          <div>
            <span class="cn-label">{t('slaScopeInboxes')}</span>
            <div class="cn-check-list">
              {s.forms.inboxes.map((inbox) => (
                <label key={inbox.id} class="cn-check">
                  <input type="checkbox" data-testid="cn-sla-inbox" data-id={inbox.id} checked={inboxes.includes(inbox.id)} onChange={(e) => setInboxes(toggle(inboxes, inbox.id, (e.currentTarget as HTMLInputElement).checked))} />
                  <span>
                    {inbox.name} <small class="cn-muted">{channelName(inbox.channel, t)}</small>
                  </span>
                </label>
              ))}
            </div>
            <FieldError errors={errors} name="inboxes" />
          </div>
        </div>
      </fieldset>

      <fieldset class="cn-fieldset" data-testid="cn-sla-escalation">
        <legend>{t('slaEscalation')}</legend>
        {(['notify', 'raise_priority', 'reassign'] as const).map((key) => (
          <label key={key} class="cn-check">
            <input type="checkbox" data-testid={`cn-sla-escalation-${key}`} checked={escalation[key]} onChange={(e) => setEscalation({ ...escalation, [key]: (e.currentTarget as HTMLInputElement).checked })} />
            <span>{t(`slaEscalation_${key}`)}</span>
          </label>
        ))}
        <FieldError errors={errors} name="escalation" />
      </fieldset>

      <FieldError errors={errors} name="position" />
      <FieldError errors={errors} name="is_active" />
      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="button" class="cn-btn" data-testid="cn-sla-cancel" onClick={onDone}>
          {t('cancel')}
        </button>
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-sla-save" disabled={busy}>
          {busy ? t('saving') : policy ? t('save') : t('slaCreate')}
        </button>
      </div>
    </form>
  );
}

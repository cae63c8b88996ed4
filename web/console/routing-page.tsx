/**
 * Admin › Routing rules (/console/routing): the rules in the order they run — dragged, or moved
 * with ↑ / ↓ —, each switched on and off in place, opened in the editor (routing-editor.tsx)
 * or deleted; and "Test a message", the dry run that shows what every rule made of a message,
 * condition by condition, and what the conversation would get.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { channelName } from './filter-bar';
import type { StringKey } from './i18n';
import { fieldLabel, opLabel, RuleEditor } from './routing-editor';
import { CHANNELS, type Condition, type RuleAction, type StoredRule, type TestInput, type TestResult } from './routing';
import type { Store } from './store';
import { SettingsSubNav } from './subnav';

export function RoutingPage({ s }: { s: Store }) {
  const t = s.t;
  const routing = s.routing;
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [dragging, setDragging] = useState<number | null>(null);
  const [over, setOver] = useState<number | null>(null);

  const drop = (targetId: number) => {
    const moving = dragging;
    setDragging(null);
    setOver(null);
    if (moving === null || moving === targetId) return;
    const ids = routing.rules.map((rule) => rule.id).filter((id) => id !== moving);
    const at = ids.indexOf(targetId);
    // Dropped on a rule below where it was: it goes after it; above: before it.
    const from = routing.rules.findIndex((rule) => rule.id === moving);
    const to = routing.rules.findIndex((rule) => rule.id === targetId);
    ids.splice(from < to ? at + 1 : at, 0, moving);
    void routing.reorder(ids);
  };

  return (
    <main class="cn-admin cn-page-routing">
      <SettingsSubNav s={s} />
      <section class="cn-panel" data-testid="cn-routing">
        <div class="cn-panel-head">
          <h2>{t('routingTitle')}</h2>
          <button type="button" class="cn-btn cn-btn-small cn-btn-primary cn-push" data-testid="cn-rule-new" disabled={editing === 'new'} onClick={() => setEditing('new')}>
            + {t('ruleNew')}
          </button>
        </div>
        <p class="cn-muted cn-small">{t('routingHelp')}</p>
        {routing.error && <p class="cn-error">{t('loadFailed', { message: routing.error })}</p>}
        {!routing.loaded && !routing.error && <p class="cn-muted">{t('loading')}</p>}
        {editing === 'new' && (
          <div class="cn-rule-card is-editing" data-testid="cn-rule-new-card">
            <RuleEditor s={s} onDone={() => setEditing(null)} />
          </div>
        )}
        {routing.loaded && !routing.rules.length && editing !== 'new' && <p class="cn-muted">{t('routingNone')}</p>}
        <ol class="cn-routing-rules" data-testid="cn-routing-rules">
          {routing.rules.map((rule, index) => (
            <li
              key={rule.id}
              class={`cn-rule-card${rule.enabled ? '' : ' is-disabled'}${over === rule.id && dragging !== rule.id ? ' is-drop-target' : ''}${dragging === rule.id ? ' is-dragging' : ''}`}
              data-testid="cn-rule"
              data-id={rule.id}
              data-name={rule.name}
              data-enabled={rule.enabled ? 'true' : 'false'}
              draggable={editing !== rule.id}
              onDragStart={(event) => {
                if (editing === rule.id) return;
                event.dataTransfer?.setData('text/plain', String(rule.id));
                if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
                setDragging(rule.id);
              }}
              onDragOver={(event) => {
                if (dragging === null) return;
                event.preventDefault();
                if (over !== rule.id) setOver(rule.id);
              }}
              onDragEnd={() => {
                setDragging(null);
                setOver(null);
              }}
              onDrop={(event) => {
                event.preventDefault();
                drop(rule.id);
              }}
            >
              {editing === rule.id ? (
                <RuleEditor s={s} rule={rule} onDone={() => setEditing(null)} />
              ) : (
                <RuleRow s={s} rule={rule} index={index} count={routing.rules.length} onEdit={() => setEditing(rule.id)} />
              )}
            </li>
          ))}
        </ol>
      </section>
      <TestPanel s={s} />
    </main>
  );
}

function RuleRow({ s, rule, index, count, onEdit }: { s: Store; rule: StoredRule; index: number; count: number; onEdit: () => void }) {
  const t = s.t;
  const [confirming, setConfirming] = useState(false);
  return (
    <div class="cn-rule-row">
      <span class="cn-drag" aria-hidden="true" title={t('ruleDrag')}>
        ⋮⋮
      </span>
      <span class="cn-rule-pos">{index + 1}</span>
      <div class="cn-rule-main">
        <div class="cn-rule-title">
          <b data-testid="cn-rule-title">{rule.name}</b>
          {!rule.enabled && <span class="cn-badge">{t('ruleDisabled')}</span>}
          {rule.stop && (
            <span class="cn-badge" title={t('ruleStop')}>
              {t('ruleStops')}
            </span>
          )}
        </div>
        <div class="cn-rule-summary cn-small" data-testid="cn-rule-summary">
          <span class="cn-muted">{rule.conditions.length ? t(rule.match === 'all' ? 'ruleIfAll' : 'ruleIfAny') : t('ruleAlways')}</span>{' '}
          {rule.conditions.map((condition, i) => (
            <span key={i} class="cn-rule-cond">
              {conditionText(s, condition)}
            </span>
          ))}
          <span class="cn-muted"> → </span>
          {rule.actions.map((action, i) => (
            <span key={i} class="cn-rule-act">
              {actionText(s, action)}
            </span>
          ))}
        </div>
      </div>
      <span class="cn-routing-tools">
        <label class="cn-switch" title={t('ruleEnabled')}>
          <input type="checkbox" data-testid="cn-rule-enabled" checked={rule.enabled} aria-label={t('ruleEnabled')} onChange={(e) => void s.routing.setEnabled(rule, (e.currentTarget as HTMLInputElement).checked)} />
          <i aria-hidden="true" />
        </label>
        <button type="button" class="cn-icon-btn cn-icon-btn-light" data-testid="cn-rule-up" aria-label={t('moveUp')} title={t('moveUp')} disabled={index === 0} onClick={() => void s.routing.move(rule, -1)}>
          ↑
        </button>
        <button type="button" class="cn-icon-btn cn-icon-btn-light" data-testid="cn-rule-down" aria-label={t('moveDown')} title={t('moveDown')} disabled={index >= count - 1} onClick={() => void s.routing.move(rule, 1)}>
          ↓
        </button>
        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-rule-edit" onClick={onEdit}>
          {t('edit')}
        </button>
        {confirming ? (
          <>
            <button type="button" class="cn-btn cn-btn-small cn-btn-danger" data-testid="cn-rule-delete-confirm" onClick={() => void s.routing.remove(rule)}>
              {t('confirmDelete')}
            </button>
            <button type="button" class="cn-btn cn-btn-small" onClick={() => setConfirming(false)}>
              {t('cancel')}
            </button>
          </>
        ) : (
          <button type="button" class="cn-btn cn-btn-small cn-btn-quiet-danger" data-testid="cn-rule-delete" onClick={() => setConfirming(true)}>
            {t('delete')}
          </button>
        )}
      </span>
    </div>
  );
}

/** A condition in words: "Text contains all the words «кредит»". */
function conditionText(s: Store, condition: Condition): string {
  const value = condition.value;
  let shown = '';
  if (Array.isArray(value)) shown = value.map((item) => valueName(s, condition.field, item)).join(', ');
  else if (value !== null && value !== undefined && value !== '') shown = valueName(s, condition.field, value);
  return `${condition.negate ? `${s.t('ruleNegate')} ` : ''}${fieldLabel(s, condition.field)} ${opLabel(s, condition.op)}${shown ? ` «${shown}»` : ''}`;
}

function valueName(s: Store, field: string, value: unknown): string {
  if (field === 'channel') return channelName(String(value), s.t);
  if (field === 'inbox_id') return s.forms.inboxes.find((inbox) => inbox.id === value)?.name || `#${value}`;
  if (field === 'priority') return s.t(`priority_${value}` as StringKey);
  if (field === 'business_hours') return s.t(`routingHours_${value}` as StringKey);
  return String(value);
}

function languageName(s: Store, code: string): string {
  const key = `lang_${code}` as StringKey;
  const name = s.t(key);
  return name === key ? code : name;
}

/** An action in words: "Priority: High", "Tags: кредит". */
function actionText(s: Store, action: RuleAction): string {
  const t = s.t;
  const label = t(`ruleAction_${action.type}` as StringKey);
  const id = Number(action.value);
  let value: string;
  switch (action.type) {
    case 'set_team':
      value = s.teams.byId(id)?.name || `#${id}`;
      break;
    case 'set_category':
      value = s.taxonomy.categoryPath(id) || `#${id}`;
      break;
    case 'set_priority':
      value = t(`priority_${action.value}` as StringKey);
      break;
    case 'set_sla_policy':
      value = s.sla.byId(id)?.name || `#${id}`;
      break;
    case 'assign_agent':
      value = s.team.byId(id)?.name || `#${id}`;
      break;
    case 'add_tags':
      value = Array.isArray(action.value) ? action.value.join(', ') : String(action.value);
      break;
    case 'auto_reply':
      value = `«${String(action.value).slice(0, 40)}${String(action.value).length > 40 ? '…' : ''}»`;
      break;
    case 'set_field':
      value = `${s.taxonomy.field(action.key || '')?.label || action.key} = ${action.value ?? '—'}`;
      break;
    default:
      value = String(action.value ?? '');
  }
  return `${label}: ${value}`;
}

// ---- test a message --------------------------------------------------------------------

function TestPanel({ s }: { s: Store }) {
  const t = s.t;
  const [input, setInput] = useState<{ channel: string; inbox: string; text: string; email: string; url: string; hours: boolean }>({ channel: 'web', inbox: '', text: '', email: '', url: '', hours: true });
  const [result, setResult] = useState<TestResult | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<typeof input>) => setInput({ ...input, ...change });

  const run = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const request: TestInput = { channel: input.channel, text: input.text, in_business_hours: input.hours };
    if (input.inbox) request.inbox_id = Number(input.inbox);
    if (input.email.trim()) request.contact = { email: input.email.trim() };
    if (input.url.trim()) request.page_url = input.url.trim();
    setBusy(true);
    setError('');
    try {
      setResult(await s.routing.test(request));
    } catch (failure) {
      setResult(null);
      setError(s.errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="cn-panel cn-panel-form cn-routing-test" data-testid="cn-routing-test">
      <h2>{t('routingTest')}</h2>
      <p class="cn-muted cn-small">{t('routingTestHelp')}</p>
      <form class="cn-form" onSubmit={run} noValidate>
        <div class="cn-form-grid">
          <label>
            <span>{t('channel')}</span>
            <select data-testid="cn-test-channel" value={input.channel} onChange={(e) => set({ channel: (e.currentTarget as HTMLSelectElement).value })}>
              {CHANNELS.map((channel) => (
                <option key={channel} value={channel}>
                  {channelName(channel, t)}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>{t('routingTestInbox')}</span>
            <select data-testid="cn-test-inbox" value={input.inbox} onChange={(e) => set({ inbox: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="">—</option>
              {s.forms.inboxes.map((inbox) => (
                <option key={inbox.id} value={inbox.id}>
                  {inbox.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label>
          <span>{t('routingTestText')}</span>
          <textarea data-testid="cn-test-text" rows={3} maxLength={5000} value={input.text} placeholder={t('routingTestTextPlaceholder')} onInput={(e) => set({ text: (e.currentTarget as HTMLTextAreaElement).value })} />
        </label>
        <label>
          <span>{t('routingTestEmail')}</span>
          <input type="email" data-testid="cn-test-email" maxLength={254} value={input.email} onInput={(e) => set({ email: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          <span>{t('routingTestUrl')}</span>
          <input type="url" data-testid="cn-test-url" maxLength={2000} placeholder="https://shop.example/catalog" value={input.url} onInput={(e) => set({ url: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label class="cn-check">
          <input type="checkbox" data-testid="cn-test-hours" checked={input.hours} onChange={(e) => set({ hours: (e.currentTarget as HTMLInputElement).checked })} />
          <span>{t('routingTestInHours')}</span>
        </label>
        {error && (
          <div class="cn-field-error" data-testid="cn-field-error" data-field="test" role="alert">
            {error}
          </div>
        )}
        <div class="cn-form-actions">
          <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-test-run" disabled={busy}>
            {busy ? t('routingTesting') : t('routingTestRun')}
          </button>
        </div>
      </form>
      {result && <TestOutcome s={s} result={result} />}
    </section>
  );
}

function TestOutcome({ s, result }: { s: Store; result: TestResult }) {
  const t = s.t;
  const effect = result.effect;
  const names = result.names || {};
  const rows: [string, StringKey, string][] = [];
  if (effect.team_id !== null) rows.push(['team', 'ruleAction_set_team', names.team || `#${effect.team_id}`]);
  if (effect.category_id !== null) rows.push(['category', 'ruleAction_set_category', names.category || `#${effect.category_id}`]);
  if (effect.priority) rows.push(['priority', 'ruleAction_set_priority', t(`priority_${effect.priority}`)]);
  if (effect.tags.length) rows.push(['tags', 'ruleAction_add_tags', effect.tags.join(', ')]);
  if (effect.sla_policy_id !== null) rows.push(['sla_policy', 'ruleAction_set_sla_policy', names.sla_policy || `#${effect.sla_policy_id}`]);
  if (effect.assignee_id !== null) rows.push(['assignee', 'ruleAction_assign_agent', names.assignee || `#${effect.assignee_id}`]);
  for (const [key, value] of Object.entries(effect.fields || {})) rows.push([`fields.${key}`, 'ruleAction_set_field', `${s.taxonomy.field(key)?.label || key} = ${value ?? '—'}`]);
  return (
    <div class="cn-test-result" data-testid="cn-test-result" data-matched={result.matched_rule_ids.join(',')}>
      <h3>{t('routingTestEffect')}</h3>
      {rows.length || effect.auto_replies.length ? (
        <dl class="cn-facts" data-testid="cn-test-effect">
          {rows.map(([key, label, value]) => (
            <Fragment key={key}>
              <dt>{t(label)}</dt>
              <dd data-testid="cn-test-effect-item" data-key={key}>
                {value}
              </dd>
            </Fragment>
          ))}
          {effect.auto_replies.map((reply, index) => (
            <Fragment key={`reply-${index}`}>
              <dt>{t('ruleAction_auto_reply')}</dt>
              <dd data-testid="cn-test-effect-item" data-key="auto_reply" class="cn-pre">
                {reply}
              </dd>
            </Fragment>
          ))}
        </dl>
      ) : (
        <p class="cn-muted cn-small" data-testid="cn-test-effect">
          {t('routingTestNothing')}
        </p>
      )}
      {result.language && (
        <p class="cn-muted cn-small" data-testid="cn-test-language">
          {t('routingTestLanguage', { language: languageName(s, result.language) })}
        </p>
      )}
      <h3>{t('routingTestTrace')}</h3>
      {!result.trace.length && <p class="cn-muted cn-small">{t('routingNone')}</p>}
      <ol class="cn-trace">
        {result.trace.map((rule) => (
          <li key={rule.rule_id} class={`cn-trace-rule is-${rule.status}`} data-testid="cn-test-rule" data-rule-id={rule.rule_id} data-status={rule.status}>
            <div class="cn-trace-head">
              <span class={`cn-trace-status is-${rule.status}`} data-testid="cn-test-status">
                {t(`ruleStatus_${rule.status}`)}
              </span>
              <b>{rule.name}</b>
            </div>
            <div class="cn-muted cn-small" data-testid="cn-test-reason">
              {rule.reason}
            </div>
            {rule.conditions.length > 0 && (
              <ul class="cn-trace-conds">
                {rule.conditions.map((condition) => (
                  <li key={condition.index} data-testid="cn-test-condition" data-matched={condition.matched ? 'true' : 'false'} class={condition.matched ? 'is-yes' : 'is-no'}>
                    <span aria-label={condition.matched ? t('ruleConditionYes') : t('ruleConditionNo')}>{condition.matched ? '✓' : '✗'}</span>{' '}
                    <span class="cn-trace-what">
                      {fieldLabel(s, condition.field)} {opLabel(s, condition.op)}:
                    </span>{' '}
                    <span data-testid="cn-test-condition-reason">{condition.reason}</span>
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}

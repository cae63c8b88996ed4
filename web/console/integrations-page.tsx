/**
 * Settings › Integrations (/console/integrations, admins), loaded when first opened.
 *
 * API tokens: the list (name, the secret's first characters, the agent it acts as, when made,
 * last used, revoked), a new token — its secret shown once, with a copy button and a plain
 * warning that it will not be shown again — and revoking one (asked twice).
 *
 * Webhooks: each with its address, events, switch and signing secret (hidden until asked for),
 * "Send a test" with the receiver's answer, editing, deleting (asked twice) and the log of
 * delivery attempts, read again every few seconds while open. A refusal of the server shows
 * next to the field it names.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { CopyButton } from './copy-button';
import { fullTime } from './format';
import type { FieldErrors } from './host';
import { integrationStrings, type IntegrationStrings } from './i18n-integrations';
import { Integrations, type ApiToken, type Delivery, type Webhook } from './integrations';
import './integrations.css';
import type { Store } from './store';
import { SettingsSubNav } from './subnav';
import { FieldError } from './ui';

/** How often an open delivery log is read again. */
const LOG_EVERY_MS = 4000;

export function IntegrationsPage({ s }: { s: Store }) {
  const t = s.t;
  const is = useMemo(() => integrationStrings(s.lang), [s.lang]);
  const [model] = useState(() => new Integrations(s));
  useEffect(() => {
    void model.load();
    if (!s.team.loaded) void s.team.load();
  }, []);
  return (
    <main class="cn-admin cn-page-integrations">
      <SettingsSubNav s={s} />
      <p class="cn-muted cn-small cn-integrations-intro">{is.t('integrationsHelp')}</p>
      {model.error && (
        <p class="cn-error" role="alert">
          {t('loadFailed', { message: model.error })}{' '}
          <button type="button" class="cn-link" onClick={() => void model.load()}>
            {t('retry')}
          </button>
        </p>
      )}
      <TokensPanel s={s} is={is} model={model} />
      <WebhooksPanel s={s} is={is} model={model} />
    </main>
  );
}

// ---- API tokens ------------------------------------------------------------------------------

function TokensPanel({ s, is, model }: { s: Store; is: IntegrationStrings; model: Integrations }) {
  const t = s.t;
  const [creating, setCreating] = useState(false);
  const [made, setMade] = useState<{ token: ApiToken; secret: string } | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  return (
    <section class="cn-panel" data-testid="cn-api-tokens">
      <div class="cn-panel-head">
        <h2>{is.t('tokensTitle')}</h2>
        <button
          type="button"
          class="cn-btn cn-btn-small cn-btn-primary cn-push"
          data-testid="cn-token-new"
          disabled={creating || !model.loaded}
          onClick={() => {
            setMade(null);
            setCreating(true);
          }}
        >
          + {is.t('tokenNew')}
        </button>
      </div>
      <p class="cn-muted cn-small">
        {is.t('tokensHelp')}{' '}
        <a href="/api/docs" target="_blank" rel="noopener noreferrer">
          /api/docs
        </a>
      </p>
      {creating && (
        <TokenForm
          s={s}
          is={is}
          model={model}
          onDone={(result) => {
            setCreating(false);
            if (result) setMade(result);
          }}
        />
      )}
      {made && <TokenSecret s={s} is={is} made={made} onDone={() => setMade(null)} />}
      {!model.loaded && !model.error && <p class="cn-muted">{t('loading')}</p>}
      {model.loaded && !model.tokens.length && (
        <p class="cn-muted" data-testid="cn-tokens-none">
          {is.t('tokensNone')}
        </p>
      )}
      {model.tokens.length > 0 && (
        <div class="cn-table-scroll">
          <table class="cn-table cn-tokens">
            <thead>
              <tr>
                <th>{is.t('tokenName')}</th>
                <th>{is.t('tokenPrefix')}</th>
                <th>{is.t('tokenAgent')}</th>
                <th>{is.t('tokenCreated')}</th>
                <th>{is.t('tokenLastUsed')}</th>
                <th>{is.t('tokenState')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {[...model.tokens].reverse().map((token) => (
                <tr key={token.id} class={token.revoked_at ? 'is-inactive' : undefined} data-testid="cn-token" data-id={token.id} data-name={token.name} data-revoked={token.revoked_at ? 'true' : 'false'}>
                  <td>
                    <b>{token.name}</b>
                  </td>
                  <td class="cn-mono cn-nowrap" data-testid="cn-token-prefix">
                    {token.prefix}…
                  </td>
                  <td>{token.agent.name || `#${token.agent.id}`}</td>
                  <td class="cn-nowrap">{fullTime(token.created_at, s.lang)}</td>
                  <td class="cn-nowrap" data-testid="cn-token-used">
                    {token.last_used_at ? fullTime(token.last_used_at, s.lang) : <span class="cn-muted">{is.t('tokenNeverUsed')}</span>}
                  </td>
                  <td data-testid="cn-token-state">
                    {token.revoked_at ? (
                      <span class="cn-badge cn-badge-danger">{is.t('tokenRevokedAt', { time: fullTime(token.revoked_at, s.lang) })}</span>
                    ) : (
                      <span class="cn-badge cn-badge-ok">{is.t('tokenActive')}</span>
                    )}
                  </td>
                  <td class="cn-right cn-nowrap">
                    {!token.revoked_at && (
                      <button
                        type="button"
                        class={`cn-btn cn-btn-small${confirming === token.id ? ' cn-btn-danger' : ' cn-btn-quiet-danger'}`}
                        data-testid="cn-token-revoke"
                        data-confirming={confirming === token.id ? 'true' : 'false'}
                        disabled={model.busy.has(`revoke:${token.id}`)}
                        onClick={async () => {
                          if (confirming !== token.id) {
                            setConfirming(token.id);
                            return;
                          }
                          setConfirming(null);
                          if (await model.revokeToken(token)) s.showToast(is.t('tokenRevoked', { name: token.name }), 'info');
                        }}
                        onBlur={() => setConfirming((current) => (current === token.id ? null : current))}
                      >
                        {confirming === token.id ? is.t('tokenRevokeConfirm') : is.t('tokenRevoke')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function TokenForm({ s, is, model, onDone }: { s: Store; is: IntegrationStrings; model: Integrations; onDone: (made: { token: ApiToken; secret: string } | null) => void }) {
  const t = s.t;
  const me = s.me!;
  const [name, setName] = useState('');
  const [agentId, setAgentId] = useState(me.id);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const agents = s.team.list.filter((agent) => agent.is_active || agent.id === agentId);
  const choices = agents.some((agent) => agent.id === me.id) ? agents : [me, ...agents];
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!name.trim()) {
      setErrors({ name: t('nameRequired') });
      return;
    }
    setBusy(true);
    const result = await model.createToken(name, agentId);
    setBusy(false);
    if ('errors' in result) setErrors(result.errors);
    else onDone(result);
  };
  return (
    <form class="cn-form cn-integration-form" data-testid="cn-token-form" onSubmit={submit} noValidate>
      <div class="cn-form-grid">
        <label>
          <span>{is.t('tokenName')}</span>
          <input
            type="text"
            data-testid="cn-token-name"
            maxLength={200}
            value={name}
            autofocus
            aria-invalid={errors.name ? true : undefined}
            onInput={(e) => {
              setName((e.currentTarget as HTMLInputElement).value);
              if (errors.name) setErrors({ ...errors, name: '' });
            }}
          />
          <small class="cn-muted">{is.t('tokenNameHint')}</small>
          <FieldError errors={errors} name="name" />
        </label>
        <label>
          <span>{is.t('tokenAgent')}</span>
          <select
            data-testid="cn-token-agent"
            value={String(agentId)}
            aria-invalid={errors.agent_id ? true : undefined}
            onChange={(e) => {
              setAgentId(Number((e.currentTarget as HTMLSelectElement).value));
              if (errors.agent_id) setErrors({ ...errors, agent_id: '' });
            }}
          >
            {choices.map((agent) => (
              <option key={agent.id} value={String(agent.id)}>
                {agent.id === me.id ? is.t('tokenMe', { name: agent.name }) : `${agent.name} · ${t(`role_${agent.role}`)}`}
              </option>
            ))}
          </select>
          <small class="cn-muted">{is.t('tokenAgentHint')}</small>
          <FieldError errors={errors} name="agent_id" />
        </label>
      </div>
      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="button" class="cn-btn" data-testid="cn-token-cancel" onClick={() => onDone(null)}>
          {t('cancel')}
        </button>
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-token-submit" disabled={busy}>
          {busy ? is.t('tokenCreating') : is.t('tokenCreate')}
        </button>
      </div>
    </form>
  );
}

/** The new token's secret: here once, never again. */
function TokenSecret({ s, is, made, onDone }: { s: Store; is: IntegrationStrings; made: { token: ApiToken; secret: string }; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  return (
    <div class="cn-token-secret" data-testid="cn-token-secret" data-id={made.token.id} role="alert">
      <b>{is.t('tokenSecretTitle', { name: made.token.name })}</b>
      <p class="cn-token-warning" data-testid="cn-token-warning">
        {is.t('tokenSecretWarning')}
      </p>
      <div class="cn-token-secret-line">
        <input
          ref={field}
          type="text"
          class="cn-mono"
          readOnly
          data-testid="cn-token-secret-value"
          value={made.secret}
          aria-label={is.t('tokenPrefix')}
          onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
        />
        <CopyButton s={s} text={made.secret} field={() => field.current} testid="cn-token-copy" label={is.t('tokenCopy')} />
      </div>
      <div>
        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-token-secret-done" onClick={onDone}>
          {is.t('tokenSecretDone')}
        </button>
      </div>
    </div>
  );
}

// ---- webhooks --------------------------------------------------------------------------------

function WebhooksPanel({ s, is, model }: { s: Store; is: IntegrationStrings; model: Integrations }) {
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  return (
    <section class="cn-panel" data-testid="cn-webhooks">
      <div class="cn-panel-head">
        <h2>{is.t('webhooksTitle')}</h2>
        <button type="button" class="cn-btn cn-btn-small cn-btn-primary cn-push" data-testid="cn-webhook-new" disabled={editing === 'new' || !model.loaded} onClick={() => setEditing('new')}>
          + {is.t('webhookNew')}
        </button>
      </div>
      <p class="cn-muted cn-small">{is.t('webhooksHelp')}</p>
      {editing === 'new' && (
        <div class="cn-team-card is-editing cn-webhook-editor">
          <h3>{is.t('webhookNew')}</h3>
          <WebhookForm s={s} is={is} model={model} onDone={() => setEditing(null)} />
        </div>
      )}
      {model.loaded && !model.webhooks.length && editing !== 'new' && (
        <p class="cn-muted" data-testid="cn-webhooks-none">
          {is.t('webhooksNone')}
        </p>
      )}
      <ul class="cn-team-cards">
        {model.webhooks.map((webhook) => (
          <WebhookCard key={webhook.id} s={s} is={is} model={model} webhook={webhook} editing={editing === webhook.id} onEdit={(open) => setEditing(open ? webhook.id : null)} />
        ))}
      </ul>
    </section>
  );
}

function WebhookCard({ s, is, model, webhook, editing, onEdit }: { s: Store; is: IntegrationStrings; model: Integrations; webhook: Webhook; editing: boolean; onEdit: (open: boolean) => void }) {
  const t = s.t;
  const [showSecret, setShowSecret] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const secretField = useRef<HTMLInputElement>(null);
  const ping = model.pings.get(webhook.id);
  const pinging = model.busy.has(`ping:${webhook.id}`);
  const log = model.logs.get(webhook.id);
  return (
    <li
      class={`cn-team-card cn-webhook${editing ? ' is-editing' : ''}${webhook.is_active ? '' : ' is-off'}`}
      data-testid="cn-webhook"
      data-id={webhook.id}
      data-url={webhook.url}
      data-active={webhook.is_active ? 'true' : 'false'}
    >
      <div class="cn-team-card-head cn-webhook-head">
        <b class="cn-mono cn-webhook-url" data-testid="cn-webhook-url">
          {webhook.url}
        </b>
        <span class="cn-inline cn-push cn-webhook-actions">
          <label class="cn-webhook-switch">
            <span class="cn-switch">
              <input
                type="checkbox"
                role="switch"
                data-testid="cn-webhook-active"
                checked={model.switching.get(webhook.id) ?? webhook.is_active}
                disabled={model.busy.has(`active:${webhook.id}`)}
                onChange={(e) => void model.setActive(webhook, (e.currentTarget as HTMLInputElement).checked)}
              />
              <i aria-hidden="true" />
            </span>
            <span>{is.t('webhookOn')}</span>
          </label>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-webhook-test" disabled={pinging} onClick={() => void model.ping(webhook)}>
            {pinging ? is.t('webhookTesting') : is.t('webhookTest')}
          </button>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-webhook-edit" disabled={editing} onClick={() => onEdit(true)}>
            {t('edit')}
          </button>
          <button
            type="button"
            class={`cn-btn cn-btn-small${confirmDelete ? ' cn-btn-danger' : ' cn-btn-quiet-danger'}`}
            data-testid="cn-webhook-delete"
            data-confirming={confirmDelete ? 'true' : 'false'}
            disabled={model.busy.has(`delete:${webhook.id}`)}
            onBlur={() => setConfirmDelete(false)}
            onClick={async () => {
              if (!confirmDelete) {
                setConfirmDelete(true);
                return;
              }
              setConfirmDelete(false);
              if (await model.deleteWebhook(webhook)) s.showToast(is.t('webhookDeleted', { url: webhook.url }), 'info');
            }}
          >
            {confirmDelete ? is.t('webhookDeleteConfirm') : is.t('webhookDelete')}
          </button>
        </span>
      </div>
      {!webhook.is_active && <p class="cn-muted cn-small">{is.t('webhookOffHint')}</p>}
      <ul class="cn-webhook-events" data-testid="cn-webhook-events">
        {webhook.events.map((type) => (
          <li key={type} class="cn-badge" data-event={type} title={type}>
            {is.event(type)}
          </li>
        ))}
      </ul>
      <div class="cn-webhook-secret">
        <span class="cn-label">{is.t('webhookSecret')}</span>
        <input
          ref={secretField}
          type={showSecret ? 'text' : 'password'}
          class="cn-mono"
          readOnly
          data-testid="cn-webhook-secret"
          value={webhook.secret}
          aria-label={is.t('webhookSecret')}
          onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
        />
        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-webhook-secret-show" aria-pressed={showSecret} onClick={() => setShowSecret(!showSecret)}>
          {showSecret ? is.t('webhookHide') : is.t('webhookShow')}
        </button>
        <CopyButton s={s} text={webhook.secret} field={() => secretField.current} testid="cn-webhook-secret-copy" label={is.t('webhookCopySecret')} />
      </div>
      {ping && (
        <p
          class={`cn-webhook-test-result ${ping.ok ? 'is-ok' : 'is-error'}`}
          data-testid="cn-webhook-test-result"
          data-ok={ping.ok ? 'true' : 'false'}
          data-status={ping.status_code ?? ''}
          role={ping.ok ? 'status' : 'alert'}
        >
          {ping.ok ? is.t('webhookTestOk', { status: ping.status_code ?? '' }) : is.t('webhookTestFailed', { error: ping.error || `HTTP ${ping.status_code}` })}
        </p>
      )}
      {editing && (
        <div class="cn-webhook-editor" data-testid="cn-webhook-editor">
          <h3>{is.t('webhookEditTitle')}</h3>
          <WebhookForm s={s} is={is} model={model} webhook={webhook} onDone={() => onEdit(false)} />
        </div>
      )}
      <div>
        <button
          type="button"
          class="cn-link cn-small"
          data-testid="cn-webhook-log-toggle"
          aria-expanded={log ? 'true' : 'false'}
          onClick={() => (log ? model.closeLog(webhook.id) : void model.loadLog(webhook.id))}
        >
          {log ? is.t('webhookLogHide') : is.t('webhookLog')}
        </button>
      </div>
      {log && <DeliveryLogView s={s} is={is} model={model} webhookId={webhook.id} />}
    </li>
  );
}

/** The new webhook's or a webhook's address and events. */
function WebhookForm({ s, is, model, webhook, onDone }: { s: Store; is: IntegrationStrings; model: Integrations; webhook?: Webhook; onDone: () => void }) {
  const t = s.t;
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [events, setEvents] = useState<string[]>(webhook?.events ?? ['conversation.created', 'message.created']);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const types = [...model.eventTypes, ...(webhook?.events || []).filter((type) => !model.eventTypes.includes(type))];
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const found: FieldErrors = {};
    if (!url.trim()) found.url = is.t('webhookUrlRequired');
    if (!events.length) found.events = is.t('webhookEventsRequired');
    if (Object.keys(found).length) {
      setErrors(found);
      return;
    }
    // In the order the server lists them, as it stores them.
    const chosen = types.filter((type) => events.includes(type));
    setBusy(true);
    let result;
    if (!webhook) result = await model.createWebhook(url, chosen);
    else {
      const change: { url?: string; events?: string[] } = {};
      if (url.trim() !== webhook.url) change.url = url.trim();
      if (chosen.join() !== webhook.events.join()) change.events = chosen;
      result = Object.keys(change).length ? await model.updateWebhook(webhook, change) : { webhook };
    }
    setBusy(false);
    if ('errors' in result) {
      setErrors(result.errors);
      return;
    }
    s.showToast(webhook ? is.t('webhookSaved') : is.t('webhookCreated', { url: result.webhook.url }), 'info');
    onDone();
  };
  return (
    <form class="cn-form cn-integration-form" data-testid="cn-webhook-form" onSubmit={submit} noValidate>
      <label>
        <span>{is.t('webhookUrl')}</span>
        <input
          type="url"
          inputMode="url"
          class="cn-mono"
          data-testid="cn-webhook-url-input"
          placeholder="https://crm.example.com/helpline"
          maxLength={2000}
          value={url}
          autofocus
          spellcheck={false}
          autocomplete="off"
          aria-invalid={errors.url ? true : undefined}
          onInput={(e) => {
            setUrl((e.currentTarget as HTMLInputElement).value);
            if (errors.url || errors.form) setErrors({ ...errors, url: '', form: '' });
          }}
        />
        <small class="cn-muted">{is.t('webhookUrlHint')}</small>
        <FieldError errors={errors} name="url" />
      </label>
      <fieldset class="cn-fieldset cn-webhook-event-choice" data-testid="cn-webhook-event-choice" aria-invalid={errors.events ? true : undefined}>
        <legend>{is.t('webhookEvents')}</legend>
        {types.map((type) => (
          <label key={type} class="cn-check">
            <input
              type="checkbox"
              data-testid="cn-webhook-event"
              data-event={type}
              checked={events.includes(type)}
              onChange={(e) => {
                const on = (e.currentTarget as HTMLInputElement).checked;
                setEvents(on ? [...events, type] : events.filter((item) => item !== type));
                if (errors.events) setErrors({ ...errors, events: '' });
              }}
            />
            <span>
              {is.event(type)} <code class="cn-muted">{type}</code>
            </span>
          </label>
        ))}
        <FieldError errors={errors} name="events" />
      </fieldset>
      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="button" class="cn-btn" data-testid="cn-webhook-cancel" onClick={onDone}>
          {t('cancel')}
        </button>
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-webhook-submit" disabled={busy}>
          {busy ? is.t('webhookSaving') : webhook ? t('save') : is.t('webhookCreate')}
        </button>
      </div>
    </form>
  );
}

/** The webhook's delivery attempts, newest first; read again every few seconds while on screen. */
function DeliveryLogView({ s, is, model, webhookId }: { s: Store; is: IntegrationStrings; model: Integrations; webhookId: number }) {
  const t = s.t;
  const log = model.logs.get(webhookId);
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void model.loadLog(webhookId);
    }, LOG_EVERY_MS);
    return () => clearInterval(timer);
  }, [webhookId]);
  if (!log) return null;
  return (
    <div class="cn-webhook-log" data-testid="cn-webhook-log" data-loading={log.loading ? 'true' : 'false'}>
      <div class="cn-panel-head">
        <small class="cn-muted">{is.t('webhookLogHelp')}</small>
        <button type="button" class="cn-btn cn-btn-small cn-push" data-testid="cn-webhook-log-refresh" disabled={log.loading} onClick={() => void model.loadLog(webhookId)}>
          {is.t('webhookLogRefresh')}
        </button>
      </div>
      {log.error && (
        <p class="cn-error cn-small" role="alert">
          {t('loadFailed', { message: log.error })}
        </p>
      )}
      {!log.loaded && !log.error && <p class="cn-muted cn-small">{t('loading')}</p>}
      {log.loaded && !log.rows.length && (
        <p class="cn-muted cn-small" data-testid="cn-webhook-log-none">
          {is.t('webhookLogNone')}
        </p>
      )}
      {log.rows.length > 0 && (
        <div class="cn-table-scroll">
          <table class="cn-table cn-webhook-log-table">
            <thead>
              <tr>
                <th>{is.t('logTime')}</th>
                <th>{is.t('logEvent')}</th>
                <th class="cn-right">{is.t('logEventId')}</th>
                <th class="cn-right">{is.t('logAttempt')}</th>
                <th>{is.t('logAnswer')}</th>
                <th class="cn-right">{is.t('logDuration')}</th>
              </tr>
            </thead>
            <tbody>
              {log.rows.map((row) => (
                <DeliveryRow key={row.id} s={s} is={is} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function DeliveryRow({ s, is, row }: { s: Store; is: IntegrationStrings; row: Delivery }) {
  return (
    <tr data-testid="cn-delivery" data-id={row.id} data-event-id={row.event_id} data-event-type={row.event_type} data-ok={row.ok ? 'true' : 'false'} data-status={row.status_code ?? ''}>
      <td class="cn-nowrap">{fullTime(row.created_at, s.lang)}</td>
      <td title={row.event_type}>
        {is.event(row.event_type)} <code class="cn-muted">{row.event_type}</code>
      </td>
      <td class="cn-right cn-mono">{row.event_id}</td>
      <td class="cn-right">{row.attempt}</td>
      <td class="cn-webhook-answer">
        <span class={`cn-delivery-mark ${row.ok ? 'is-ok' : 'is-failed'}`} data-testid="cn-delivery-mark" aria-label={row.ok ? is.t('logOk') : is.t('logFailed')} title={row.ok ? is.t('logOk') : is.t('logFailed')}>
          {row.ok ? '✓' : '✕'}
        </span>{' '}
        {row.status_code !== null && <span class="cn-mono">HTTP {row.status_code}</span>}
        {row.error && (!row.status_code || row.error !== `HTTP ${row.status_code}`) && <span class="cn-webhook-error"> {row.error}</span>}
        {row.ok ? <span class="cn-sr"> {is.t('logOk')}</span> : <span class="cn-sr"> {is.t('logFailed')}</span>}
      </td>
      <td class="cn-right cn-nowrap">{row.duration_ms !== null ? is.t('logMs', { ms: row.duration_ms }) : '—'}</td>
    </tr>
  );
}

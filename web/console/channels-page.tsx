/**
 * Settings › Channels (/console/channels, admins): the account's channel inboxes (Telegram and
 * the others with an adapter) with their state — working, or the last error and when — the
 * webhook address to copy, the on/off switch, "Test connection", and editing the name and
 * settings; "Connect a channel" picks one and fills in its settings. The settings form is made
 * from the channel's JSON Schema, so a channel the server adds needs no change here; labels and
 * hints in the admin's language come from i18n-channels.ts where the console knows the channel.
 *
 * The server asks the channel before it stores anything (a wrong token is refused and nothing
 * is created): its reason shows next to the setting it names.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ChannelGlyph } from './channel-icon';
import './channels.css';
import {
  ChannelInboxes,
  checkValues,
  initialValues,
  MASK,
  settingFields,
  settingsOut,
  type ChannelErrors,
  type ChannelInbox,
  type ChannelSpec,
  type SettingField,
  type SettingValues,
} from './channels';
import { CopyButton } from './copy-button';
import { channelName } from './filter-bar';
import { fullTime } from './format';
import { channelStrings, type ChannelStrings } from './i18n-channels';
import type { Store } from './store';
import { SettingsSubNav } from './subnav';
import { FieldError } from './ui';

/** Channels that never call Helpline (it reads the mailbox itself): their webhook address would only confuse. */
const WITHOUT_WEBHOOK = ['email'];

export function ChannelsPage({ s }: { s: Store }) {
  const t = s.t;
  const cs = useMemo(() => channelStrings(s.lang), [s.lang]);
  // The page's own state: nothing else in the console needs it, and it is read afresh each time the page opens.
  const [model] = useState(() => new ChannelInboxes(s));
  const [connecting, setConnecting] = useState(false);
  const [editing, setEditing] = useState<number | null>(null);
  useEffect(() => {
    void model.load();
  }, []);

  return (
    <main class="cn-admin cn-page-channels">
      <SettingsSubNav s={s} />
      {connecting && (
        <section class="cn-panel cn-channel-connect" data-testid="cn-channel-connect">
          <h2>{cs.t('channelConnect')}</h2>
          <ConnectForm s={s} cs={cs} model={model} onDone={() => setConnecting(false)} />
        </section>
      )}
      <section class="cn-panel" data-testid="cn-channels">
        <div class="cn-panel-head">
          <h2>{t('channelsTitle')}</h2>
          <button
            type="button"
            class="cn-btn cn-btn-small cn-btn-primary cn-push"
            data-testid="cn-channel-connect-open"
            disabled={connecting || !model.loaded || !model.specs.length}
            onClick={() => {
              setEditing(null);
              setConnecting(true);
            }}
          >
            + {cs.t('channelConnect')}
          </button>
        </div>
        <p class="cn-muted cn-small">{cs.t('channelsHelp')}</p>
        {model.error && (
          <p class="cn-error" role="alert">
            {t('loadFailed', { message: model.error })}{' '}
            <button type="button" class="cn-link" onClick={() => void model.load()}>
              {t('retry')}
            </button>
          </p>
        )}
        {!model.loaded && !model.error && <p class="cn-muted">{t('loading')}</p>}
        {model.loaded && !model.specs.length && <p class="cn-muted">{cs.t('channelsNothing')}</p>}
        {model.loaded && !!model.specs.length && !model.inboxes.length && (
          <p class="cn-muted" data-testid="cn-channels-none">
            {cs.t('channelsNone')}
          </p>
        )}
        <ul class="cn-team-cards">
          {model.inboxes.map((inbox) => (
            <InboxCard
              key={inbox.id}
              s={s}
              cs={cs}
              model={model}
              inbox={inbox}
              editing={editing === inbox.id}
              onEdit={(open) => {
                setEditing(open ? inbox.id : null);
                if (open) setConnecting(false);
              }}
            />
          ))}
        </ul>
      </section>
    </main>
  );
}

function StatusBadge({ inbox, cs }: { inbox: ChannelInbox; cs: ChannelStrings }) {
  const status = inbox.status === 'ok' || inbox.status === 'error' ? inbox.status : 'unknown';
  return (
    <span class={`cn-badge cn-channel-status is-${status}`} data-testid="cn-channel-status" data-status={status}>
      {cs.t(`channelStatus_${status}`)}
    </span>
  );
}

function InboxCard({ s, cs, model, inbox, editing, onEdit }: { s: Store; cs: ChannelStrings; model: ChannelInboxes; inbox: ChannelInbox; editing: boolean; onEdit: (open: boolean) => void }) {
  const t = s.t;
  const spec = model.spec(inbox.channel);
  const test = model.tests.get(inbox.id);
  const testing = model.busy.has(`test:${inbox.id}`);
  const switching = model.busy.has(`active:${inbox.id}`);
  const webhookField = useRef<HTMLInputElement>(null);
  const polling = inbox.settings.mode === 'polling';
  const name = channelName(inbox.channel, t);
  return (
    <li
      class={`cn-team-card cn-channel-card${editing ? ' is-editing' : ''}${inbox.is_active ? '' : ' is-off'}`}
      data-testid="cn-channel-inbox"
      data-id={inbox.id}
      data-channel={inbox.channel}
      data-name={inbox.name}
      data-status={inbox.status ?? ''}
      data-active={inbox.is_active ? 'true' : 'false'}
    >
      <div class="cn-team-card-head cn-channel-card-head">
        <ChannelGlyph channel={inbox.channel} label={name} />
        <b data-testid="cn-channel-inbox-name">{inbox.name}</b>
        <span class="cn-muted cn-small">{name}</span>
        <StatusBadge inbox={inbox} cs={cs} />
        <span class="cn-inline cn-push cn-channel-actions">
          <label class="cn-channel-switch" title={inbox.is_active ? cs.t('channelOn') : cs.t('channelOffHint')}>
            <span class="cn-switch">
              <input type="checkbox" role="switch" data-testid="cn-channel-active" checked={model.switching.get(inbox.id) ?? inbox.is_active} disabled={switching} onChange={(e) => void model.setActive(inbox, (e.currentTarget as HTMLInputElement).checked)} />
              <i aria-hidden="true" />
            </span>
            <span>{cs.t('channelOn')}</span>
          </label>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-channel-test" disabled={testing} onClick={() => void model.test(inbox)}>
            {testing ? cs.t('channelTesting') : cs.t('channelTest')}
          </button>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-channel-edit" disabled={editing || !spec} onClick={() => onEdit(true)}>
            {t('edit')}
          </button>
        </span>
      </div>
      {!inbox.is_active && <p class="cn-muted cn-small">{cs.t('channelOffHint')}</p>}
      {inbox.status === 'error' && inbox.last_error && (
        <p class="cn-channel-problem" data-testid="cn-channel-last-error">
          {cs.t('channelLastError', { time: fullTime(inbox.last_error_at, s.lang), error: inbox.last_error })}
        </p>
      )}
      {test && (
        <p class={`cn-channel-test-result ${test.ok ? 'is-ok' : 'is-error'}`} data-testid="cn-channel-test-result" data-ok={test.ok ? 'true' : 'false'} role={test.ok ? 'status' : 'alert'}>
          {test.ok ? (test.detail ? cs.t('channelTestOk', { detail: test.detail }) : cs.t('channelTestOkPlain')) : cs.t('channelTestFailed', { detail: test.detail })}
        </p>
      )}
      {inbox.webhook_url && !WITHOUT_WEBHOOK.includes(inbox.channel) && (
        <div class="cn-channel-webhook">
          <label class="cn-form-link">
            <span class="cn-label">{cs.t('channelWebhook')}</span>
            <input ref={webhookField} type="text" class="cn-mono" readOnly data-testid="cn-channel-webhook" value={inbox.webhook_url} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
            <CopyButton s={s} text={inbox.webhook_url} field={() => webhookField.current} testid="cn-channel-copy-webhook" label={cs.t('channelCopyWebhook')} />
          </label>
          <small class="cn-muted cn-block">{polling ? cs.t('channelWebhookPolling') : cs.maybe(`channelWebhookHint_${inbox.channel}`) || cs.t('channelWebhookHint')}</small>
        </div>
      )}
      {editing && spec && (
        <div class="cn-channel-edit" data-testid="cn-channel-editor">
          <h3>{cs.t('channelEditTitle', { name: inbox.name })}</h3>
          <SettingsForm s={s} cs={cs} model={model} spec={spec} inbox={inbox} onDone={() => onEdit(false)} />
        </div>
      )}
    </li>
  );
}

/** Picks a channel (the only one is picked already), then its settings. */
function ConnectForm({ s, cs, model, onDone }: { s: Store; cs: ChannelStrings; model: ChannelInboxes; onDone: () => void }) {
  const t = s.t;
  const [channel, setChannel] = useState<string | null>(model.specs.length === 1 ? model.specs[0].channel : null);
  const spec = channel ? model.spec(channel) : undefined;
  return (
    <>
      <fieldset class="cn-channel-pick" data-testid="cn-channel-pick">
        <legend>{cs.t('channelPick')}</legend>
        {model.specs.map((item) => (
          <label key={item.channel} class={`cn-channel-tile${channel === item.channel ? ' is-chosen' : ''}`} data-testid="cn-channel-choice" data-channel={item.channel}>
            <input type="radio" name="cn-channel-kind" value={item.channel} checked={channel === item.channel} onChange={() => setChannel(item.channel)} />
            <ChannelGlyph channel={item.channel} />
            <span>{channelName(item.channel, t)}</span>
          </label>
        ))}
      </fieldset>
      {spec ? (
        <SettingsForm key={spec.channel} s={s} cs={cs} model={model} spec={spec} onDone={onDone} />
      ) : (
        <div class="cn-form-actions">
          <button type="button" class="cn-btn" data-testid="cn-channel-cancel" onClick={onDone}>
            {t('cancel')}
          </button>
        </div>
      )}
    </>
  );
}

/** The name and a channel's settings: connects a new inbox, or saves an inbox's changes. */
function SettingsForm({ s, cs, model, spec, inbox, onDone }: { s: Store; cs: ChannelStrings; model: ChannelInboxes; spec: ChannelSpec; inbox?: ChannelInbox; onDone: () => void }) {
  const t = s.t;
  const fields = useMemo(() => settingFields(spec), [spec]);
  const start = useMemo(() => initialValues(fields, inbox?.settings), [fields, inbox?.id]);
  const [name, setName] = useState(inbox?.name ?? channelName(spec.channel, t));
  const [values, setValues] = useState<SettingValues>(start);
  const [errors, setErrors] = useState<ChannelErrors>({});
  const [busy, setBusy] = useState(false);
  const [moreOpen, setMoreOpen] = useState(false);
  const main = fields.filter((field) => !field.advanced);
  const more = fields.filter((field) => field.advanced);

  const set = (key: string, value: string | boolean) => {
    setValues({ ...values, [key]: value });
    if (errors[`settings.${key}`] || errors.settings || errors.form) setErrors({ ...errors, [`settings.${key}`]: '', settings: '', form: '' });
  };
  /** Errors placed where the form shows them: a setting it has no input for goes to the settings as a whole. */
  const place = (found: ChannelErrors): ChannelErrors => {
    const placed: ChannelErrors = {};
    for (const [key, text] of Object.entries(found)) {
      if (!text) continue;
      if (key === 'name' || key === 'form') placed[key] = text;
      else if (key !== 'settings' && fields.some((field) => `settings.${field.key}` === key)) placed[key] = t('fieldInvalid', { message: text });
      else placed.settings = cs.t('channelConnectFailed', { message: text });
    }
    if (more.some((field) => placed[`settings.${field.key}`])) setMoreOpen(true);
    return placed;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const found = checkValues(fields, values, {
      required: cs.t('channelRequired'),
      badFormat: cs.t('channelBadFormat'),
      number: cs.t('channelNumber'),
      range: (min, max) => (min !== null && max !== null ? cs.t('channelRange', { min, max }) : min !== null ? cs.t('channelAtLeast', { min }) : cs.t('channelAtMost', { max: max ?? 0 })),
      tooShort: (min) => cs.t('channelTooShort', { min }),
      patternText: (key) => cs.maybe(`pattern_${spec.channel}_${key}`),
    });
    if (!name.trim()) found.name = t('nameRequired');
    if (Object.keys(found).length) {
      if (more.some((field) => found[`settings.${field.key}`])) setMoreOpen(true);
      setErrors(found);
      return;
    }
    const settings = settingsOut(fields, values);
    setBusy(true);
    let result: { inbox: ChannelInbox; detail?: string } | { errors: ChannelErrors };
    if (!inbox) {
      result = await model.create(spec.channel, name, settings);
    } else {
      const change: { name?: string; settings?: Record<string, unknown> } = {};
      if (name.trim() !== inbox.name) change.name = name.trim();
      // Unchanged settings are not sent: the channel is asked only about new ones.
      if (JSON.stringify(settings) !== JSON.stringify(settingsOut(fields, start))) change.settings = settings;
      result = Object.keys(change).length ? await model.update(inbox, change) : { inbox };
    }
    setBusy(false);
    if ('errors' in result) {
      setErrors(place(result.errors));
      return;
    }
    if (!inbox) s.showToast(cs.t('channelConnected', { name: result.inbox.name, detail: result.detail || channelName(spec.channel, t) }), 'info');
    else s.showToast(cs.t('channelSaved', { name: result.inbox.name }), 'info');
    onDone();
  };

  const webhookWithoutHttps = values.mode === 'webhook' && location.protocol !== 'https:' && fields.some((field) => field.key === 'mode');
  return (
    <form class="cn-form cn-channel-settings-form" data-testid="cn-channel-form" data-channel={spec.channel} onSubmit={submit} noValidate>
      <label class="cn-channel-setting">
        <span>{cs.t('channelName')}</span>
        <input
          type="text"
          data-testid="cn-channel-name"
          maxLength={200}
          value={name}
          aria-invalid={errors.name ? true : undefined}
          onInput={(e) => {
            setName((e.currentTarget as HTMLInputElement).value);
            if (errors.name) setErrors({ ...errors, name: '' });
          }}
        />
        <small class="cn-muted">{cs.t('channelNameHint')}</small>
        <FieldError errors={errors} name="name" />
      </label>
      <fieldset class="cn-fieldset cn-channel-settings">
        <legend>{cs.t('channelSettings')}</legend>
        {main.map((field) => (
          <Setting key={field.key} s={s} cs={cs} channel={spec.channel} field={field} value={values[field.key]} error={errors} onChange={(value) => set(field.key, value)} />
        ))}
        {webhookWithoutHttps && (
          <p class="cn-channel-warning" data-testid="cn-channel-https-warning">
            {cs.t('channelNotHttps')}
          </p>
        )}
        {more.length > 0 && (
          <details class="cn-channel-more" open={moreOpen} onToggle={(e) => setMoreOpen((e.currentTarget as HTMLDetailsElement).open)}>
            <summary data-testid="cn-channel-more">{cs.t('channelAdvanced')}</summary>
            {more.map((field) => (
              <Setting key={field.key} s={s} cs={cs} channel={spec.channel} field={field} value={values[field.key]} error={errors} onChange={(value) => set(field.key, value)} />
            ))}
          </details>
        )}
      </fieldset>
      <FieldError errors={errors} name="settings" />
      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="button" class="cn-btn" data-testid="cn-channel-cancel" onClick={onDone}>
          {t('cancel')}
        </button>
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-channel-submit" disabled={busy}>
          {busy ? cs.t('channelChecking', { channel: channelName(spec.channel, t) }) : inbox ? t('save') : cs.t('channelSubmit')}
        </button>
      </div>
    </form>
  );
}

interface SettingProps {
  s: Store;
  cs: ChannelStrings;
  channel: string;
  field: SettingField;
  value: string | boolean;
  error: ChannelErrors;
  onChange: (value: string | boolean) => void;
}

/** One setting: a checkbox, a list of choices, a password (secrets), a number or a line of text, with its hint. */
function Setting({ s, cs, channel, field, value, error, onChange }: SettingProps) {
  const t = s.t;
  const label = cs.maybe(`field_${channel}_${field.key}`) ?? cs.maybe(`field_${field.key}`) ?? field.title;
  const kept = field.secret && value === MASK;
  const hint = kept ? cs.t('channelSecretKept') : cs.maybe(`hint_${channel}_${field.key}`) ?? cs.maybe(`hint_${field.key}`) ?? field.description;
  const name = `settings.${field.key}`;
  const invalid = error[name] ? true : undefined;
  const testid = `cn-channel-setting-${field.key}`;
  if (field.type === 'boolean') {
    return (
      <div class="cn-channel-setting" data-key={field.key}>
        <label class="cn-check">
          <input type="checkbox" data-testid={testid} checked={value === true} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
          <span>{label}</span>
        </label>
        {hint && <small class="cn-muted">{hint}</small>}
        <FieldError errors={error} name={name} />
      </div>
    );
  }
  const text = typeof value === 'string' ? value : '';
  const input = (e: Event) => onChange((e.currentTarget as HTMLInputElement | HTMLSelectElement).value);
  return (
    <label class="cn-channel-setting" data-key={field.key}>
      <span>
        {label}
        {/* Optional where it may be left empty; a preset or a choice has a value already. */}
        {!field.required && !field.choices && (field.default === undefined || field.default === null || field.default === '') && <small class="cn-muted"> · {cs.t('channelOptional')}</small>}
      </span>
      {field.choices ? (
        <select data-testid={testid} value={text} aria-invalid={invalid} onChange={input}>
          {!field.required && !field.choices.includes(text) && <option value="">—</option>}
          {field.choices.map((choice) => (
            <option key={choice} value={choice}>
              {cs.maybe(`option_${channel}_${field.key}_${choice}`) ?? cs.maybe(`option_${choice}`) ?? choice}
            </option>
          ))}
        </select>
      ) : (
        <input
          type={field.secret ? 'password' : field.type === 'string' ? 'text' : 'number'}
          class={field.secret || field.pattern ? 'cn-mono' : undefined}
          data-testid={testid}
          value={text}
          maxLength={field.maxLength ?? undefined}
          min={field.minimum ?? undefined}
          max={field.maximum ?? undefined}
          step={field.type === 'integer' ? 1 : undefined}
          autocomplete={field.secret ? 'new-password' : 'off'}
          spellcheck={false}
          placeholder={field.type !== 'string' || field.default === undefined || field.default === '' ? undefined : String(field.default)}
          aria-invalid={invalid}
          onInput={input}
          // A stored secret is replaced whole: a click selects the mask, so typing or pasting takes its place.
          onFocus={kept ? (e) => (e.currentTarget as HTMLInputElement).select() : undefined}
        />
      )}
      {hint && <small class="cn-muted">{hint}</small>}
      <FieldError errors={error} name={name} />
    </label>
  );
}

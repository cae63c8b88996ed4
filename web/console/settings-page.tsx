/**
 * The admin's settings page: each website inbox's site settings (the widget's look and texts,
 * pre-chat fields, offline behaviour, business hours) and the account's SMTP server with a
 * test e-mail. A refused save shows the server's reason next to the field it names.
 */
import { useState } from 'preact/hooks';
import { AccountSettingsForm } from './account-settings-form';
import { SettingsSubNav } from './subnav';
import type { FieldErrors } from './host';
import { editableInvitation, InvitationsEditor } from './invitations-editor';
import type { Store } from './store';
import { cleanHours, HoursEditor } from './hours-editor';
import type { BusinessHours, FieldMode, Inbox, SiteSettings, Smtp, WidgetSize } from './types';
import { FieldError } from './ui';
import { WidgetPreview } from './widget-preview';

const FIELD_MODES: readonly FieldMode[] = ['hidden', 'optional', 'required'];
const SIZES: readonly WidgetSize[] = ['compact', 'standard', 'large'];
const PRECHAT: readonly ('name' | 'email' | 'phone')[] = ['name', 'email', 'phone'];
/** The settings as the form edits them: every field present, copied so edits stay local. */
function editable(settings: Partial<SiteSettings>): SiteSettings {
  const copy = JSON.parse(JSON.stringify(settings || {}));
  return {
    title: '',
    greeting: '',
    color: '#2563eb',
    position: 'right',
    language: 'auto',
    offline_text: '',
    callback: true,
    transcript: true,
    offline_when_no_agents: true,
    hours: null,
    logo_url: null,
    size: 'standard',
    sounds: true,
    typing_preview: false,
    invitation_text: '',
    track_visitors: true,
    ...copy,
    prechat: { name: 'optional', email: 'optional', phone: 'optional', ...(copy.prechat || {}) },
    invitations: Array.isArray(copy.invitations) ? copy.invitations.map(editableInvitation) : [],
  };
}

/** What is sent: business hours without blank intervals and holidays. */
function cleaned(form: SiteSettings): SiteSettings {
  return { ...form, logo_url: form.logo_url?.trim() || null, hours: cleanHours(form.hours) };
}

export function SettingsPage({ s }: { s: Store }) {
  const t = s.t;
  const store = s.siteSettings;
  const sites = store.inboxes.filter((inbox) => inbox.channel === 'web');
  const [chosen, setChosen] = useState<number | null>(null);
  const inbox = sites.find((site) => site.id === chosen) || sites[0];
  return (
    <main class="cn-admin cn-page-settings">
      <SettingsSubNav s={s} />
      <section class="cn-panel" data-testid="cn-site-settings">
        <div class="cn-panel-head">
          <h2>{t('siteSettings')}</h2>
          {sites.length > 1 && (
            <select data-testid="cn-site-inbox" value={inbox?.id} onChange={(e) => setChosen(Number((e.currentTarget as HTMLSelectElement).value))}>
              {sites.map((site) => (
                <option key={site.id} value={site.id}>
                  {site.name}
                </option>
              ))}
            </select>
          )}
        </div>
        {store.error && <p class="cn-error">{t('loadFailed', { message: store.error })}</p>}
        {!store.inboxesLoaded && !store.error && <p class="cn-muted">{t('loading')}</p>}
        {store.inboxesLoaded && !inbox && <p class="cn-muted">{t('noSites')}</p>}
        {inbox && <SiteForm key={inbox.id} s={s} inbox={inbox} />}
      </section>
      <div class="cn-settings-side">
        <AccountSettingsForm s={s} />
        <section class="cn-panel cn-panel-form" data-testid="cn-smtp-settings">
          <h2>{t('smtpTitle')}</h2>
          <p class="cn-muted cn-small">{t('smtpHelp')}</p>
          {store.smtp ? <SmtpForm key={String(store.smtp.password_set)} s={s} smtp={store.smtp} /> : <p class="cn-muted">{t('loading')}</p>}
        </section>
      </div>
    </main>
  );
}

function SiteForm({ s, inbox }: { s: Store; inbox: Inbox }) {
  const t = s.t;
  const [name, setName] = useState(inbox.name);
  const [form, setForm] = useState<SiteSettings>(() => editable(inbox.settings));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const set = <K extends keyof SiteSettings>(key: K, value: SiteSettings[K], errorKey: string = key) => {
    setForm({ ...form, [key]: value });
    if (errors[errorKey]) setErrors({ ...errors, [errorKey]: '' });
  };
  const setHours = (hours: BusinessHours | null, errorKey = 'hours') => set('hours', hours, errorKey);
  const text = (key: 'title' | 'greeting' | 'offline_text' | 'invitation_text') => ({
    value: form[key],
    'aria-invalid': errors[key] ? true : undefined,
    onInput: (e: Event) => set(key, (e.currentTarget as HTMLInputElement).value),
  });
  const check = (key: 'callback' | 'transcript' | 'offline_when_no_agents' | 'sounds' | 'typing_preview' | 'track_visitors') => ({
    checked: form[key],
    onChange: (e: Event) => set(key, (e.currentTarget as HTMLInputElement).checked),
  });

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    const result = await s.siteSettings.saveInbox(inbox, name, cleaned(form));
    setBusy(false);
    setErrors(result);
  };

  return (
    <form class="cn-form cn-settings-form" onSubmit={submit} noValidate data-testid="cn-site-form" data-inbox-id={inbox.id}>
      <div class="cn-form-grid">
        <label>
          <span>{t('siteName')}</span>
          <input type="text" data-testid="cn-site-name" value={name} maxLength={200} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          <FieldError errors={errors} name="name" />
        </label>
        <label>
          <span>{t('siteKey')}</span>
          <input type="text" value={inbox.site_key || ''} readOnly class="cn-mono" />
        </label>
      </div>

      <fieldset class="cn-fieldset cn-appearance" data-testid="cn-appearance">
        <legend>{t('appearanceTitle')}</legend>
        <div class="cn-appearance-body">
          <div class="cn-form-grid">
            <label>
              <span>{t('siteTitle')}</span>
              <input type="text" data-testid="cn-site-title" maxLength={100} {...text('title')} />
              <FieldError errors={errors} name="title" />
            </label>
            <label>
              <span>{t('siteColor')}</span>
              <span class="cn-color">
                <input type="color" data-testid="cn-site-color-picker" value={/^#[0-9a-f]{6}$/i.test(form.color) ? form.color.toLowerCase() : '#2563eb'} onInput={(e) => set('color', (e.currentTarget as HTMLInputElement).value)} aria-label={t('siteColor')} />
                <input type="text" data-testid="cn-site-color" value={form.color} maxLength={7} aria-invalid={errors.color ? true : undefined} onInput={(e) => set('color', (e.currentTarget as HTMLInputElement).value)} />
              </span>
              <FieldError errors={errors} name="color" />
            </label>
            <label class="cn-span2">
              <span>{t('siteLogo')}</span>
              <input
                type="url"
                data-testid="cn-site-logo"
                maxLength={500}
                placeholder="https://example.com/logo.png"
                value={form.logo_url || ''}
                aria-invalid={errors.logo_url ? true : undefined}
                onInput={(e) => set('logo_url', (e.currentTarget as HTMLInputElement).value || null)}
              />
              <small class="cn-muted">{t('siteLogoHint')}</small>
              <FieldError errors={errors} name="logo_url" />
            </label>
            <label class="cn-span2">
              <span>{t('siteGreeting')}</span>
              <textarea data-testid="cn-site-greeting" rows={2} maxLength={500} {...text('greeting')} />
              <FieldError errors={errors} name="greeting" />
            </label>
            <label class="cn-span2">
              <span>{t('siteInvitationText')}</span>
              <input type="text" data-testid="cn-site-invitation-text" maxLength={300} {...text('invitation_text')} />
              <small class="cn-muted">{t('siteInvitationTextHint')}</small>
              <FieldError errors={errors} name="invitation_text" />
            </label>
            <label>
              <span>{t('sitePosition')}</span>
              <select data-testid="cn-site-position" value={form.position} onChange={(e) => set('position', (e.currentTarget as HTMLSelectElement).value as SiteSettings['position'])}>
                <option value="right">{t('positionRight')}</option>
                <option value="left">{t('positionLeft')}</option>
              </select>
              <FieldError errors={errors} name="position" />
            </label>
            <label>
              <span>{t('siteSize')}</span>
              <select data-testid="cn-site-size" value={form.size} onChange={(e) => set('size', (e.currentTarget as HTMLSelectElement).value as WidgetSize)}>
                {SIZES.map((size) => (
                  <option key={size} value={size}>
                    {t(`size_${size}`)}
                  </option>
                ))}
              </select>
              <FieldError errors={errors} name="size" />
            </label>
            <label>
              <span>{t('siteLanguage')}</span>
              <select data-testid="cn-site-language" value={form.language} onChange={(e) => set('language', (e.currentTarget as HTMLSelectElement).value as SiteSettings['language'])}>
                <option value="auto">{t('languageAuto')}</option>
                <option value="ru">Русский</option>
                <option value="en">English</option>
              </select>
              <FieldError errors={errors} name="language" />
            </label>
            <div class="cn-checks cn-span2">
              <label class="cn-check">
                <input type="checkbox" data-testid="cn-site-sounds" {...check('sounds')} />
                <span>{t('siteSounds')}</span>
              </label>
              <label class="cn-check">
                <input type="checkbox" data-testid="cn-site-typing-preview" {...check('typing_preview')} />
                <span>{t('siteTypingPreview')}</span>
              </label>
              <label class="cn-check">
                <input type="checkbox" data-testid="cn-site-track-visitors" {...check('track_visitors')} />
                <span>{t('siteTrackVisitors')}</span>
              </label>
            </div>
          </div>
          <WidgetPreview settings={form} t={t} consoleLang={s.lang} />
        </div>
      </fieldset>

      <fieldset class="cn-fieldset">
        <legend>{t('prechatTitle')}</legend>
        <div class="cn-form-grid cn-grid3">
          {PRECHAT.map((field) => (
            <label key={field}>
              <span>{t(field === 'name' ? 'name' : field)}</span>
              <select
                data-testid={`cn-prechat-${field}`}
                value={form.prechat[field]}
                onChange={(e) => set('prechat', { ...form.prechat, [field]: (e.currentTarget as HTMLSelectElement).value as FieldMode }, `prechat.${field}`)}
              >
                {FIELD_MODES.map((mode) => (
                  <option key={mode} value={mode}>
                    {t(`fieldMode_${mode}`)}
                  </option>
                ))}
              </select>
              <FieldError errors={errors} name={`prechat.${field}`} />
            </label>
          ))}
        </div>
        <FieldError errors={errors} name="prechat" />
      </fieldset>

      <fieldset class="cn-fieldset">
        <legend>{t('offlineTitle')}</legend>
        <label>
          <span>{t('offlineText')}</span>
          <textarea data-testid="cn-site-offline-text" rows={2} maxLength={500} {...text('offline_text')} />
          <FieldError errors={errors} name="offline_text" />
        </label>
        <label class="cn-check">
          <input type="checkbox" data-testid="cn-site-offline-no-agents" {...check('offline_when_no_agents')} />
          <span>{t('offlineWhenNoAgents')}</span>
        </label>
        <label class="cn-check">
          <input type="checkbox" data-testid="cn-site-callback" {...check('callback')} />
          <span>{t('siteCallback')}</span>
        </label>
        <label class="cn-check">
          <input type="checkbox" data-testid="cn-site-transcript" {...check('transcript')} />
          <span>{t('siteTranscript')}</span>
        </label>
      </fieldset>

      <fieldset class="cn-fieldset">
        <legend>{t('invitationsTitle')}</legend>
        <InvitationsEditor
          t={t}
          rules={form.invitations}
          stats={s.siteSettings.invitationStats.get(inbox.id) || new Map()}
          errors={errors}
          onChange={(invitations, errorKey) => set('invitations', invitations, errorKey || 'invitations')}
        />
      </fieldset>

      <fieldset class="cn-fieldset" data-testid="cn-hours">
        <legend>{t('hoursTitle')}</legend>
        <HoursEditor t={t} hours={form.hours} onChange={setHours} errors={errors} onLabel="hoursOn" offText="hoursAlwaysOpen" />
      </fieldset>

      {errors.form && (
        <div class="cn-field-error" data-testid="cn-field-error" data-field="form" role="alert">
          {errors.form}
        </div>
      )}
      <div class="cn-form-actions">
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-site-save" disabled={busy}>
          {busy ? t('saving') : t('save')}
        </button>
      </div>
    </form>
  );
}

function SmtpForm({ s, smtp }: { s: Store; smtp: Smtp }) {
  const t = s.t;
  const [form, setForm] = useState<Smtp>({ ...smtp, password: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [dirty, setDirty] = useState(false);
  const [to, setTo] = useState(s.me?.email || '');

  const field = (name: 'host' | 'username' | 'password' | 'from_email' | 'from_name') => ({
    value: form[name] ?? '',
    'aria-invalid': errors[name] ? true : undefined,
    onInput: (e: Event) => {
      setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value });
      setDirty(true);
      if (errors[name]) setErrors({ ...errors, [name]: '' });
    },
  });

  const save = async (): Promise<boolean> => {
    const result = await s.siteSettings.saveSmtp(form);
    setErrors(result);
    if (Object.keys(result).length) return false;
    setDirty(false);
    return true;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy('save');
    setResult(null);
    await save();
    setBusy(null);
  };

  // The server tests the stored settings, so unsaved changes are saved first.
  const test = async () => {
    if (busy) return;
    setBusy('test');
    setResult(null);
    if (!dirty || (await save())) {
      const failure = await s.siteSettings.testSmtp(to);
      if (failure === null) setResult({ ok: true, text: t('smtpTestOk', { email: to.trim() }) });
      else if (failure.to) setErrors({ ...errors, to: failure.to });
      else setResult({ ok: false, text: t('smtpTestFailed', { reason: failure.form || '' }) });
    }
    setBusy(null);
  };

  return (
    <form class="cn-form" onSubmit={submit} noValidate data-testid="cn-smtp-form">
      <label>
        <span>{t('smtpHost')}</span>
        <input type="text" data-testid="cn-smtp-host" autocomplete="off" maxLength={253} placeholder="smtp.example.com" {...field('host')} />
        <FieldError errors={errors} name="host" />
      </label>
      <div class="cn-form-grid">
        <label>
          <span>{t('smtpPort')}</span>
          <input
            type="number"
            data-testid="cn-smtp-port"
            min={1}
            max={65535}
            value={form.port}
            aria-invalid={errors.port ? true : undefined}
            onInput={(e) => {
              setForm({ ...form, port: Number((e.currentTarget as HTMLInputElement).value) });
              setDirty(true);
            }}
          />
          <FieldError errors={errors} name="port" />
        </label>
        <label>
          <span>{t('smtpSecurity')}</span>
          <select
            data-testid="cn-smtp-security"
            value={form.security}
            onChange={(e) => {
              const security = (e.currentTarget as HTMLSelectElement).value as Smtp['security'];
              // The usual port goes with the usual security, unless the admin typed another.
              const port = [25, 465, 587].includes(Number(form.port)) ? { none: 25, starttls: 587, tls: 465 }[security] : form.port;
              setForm({ ...form, security, port });
              setDirty(true);
            }}
          >
            <option value="starttls">STARTTLS</option>
            <option value="tls">SSL/TLS</option>
            <option value="none">{t('smtpNoSecurity')}</option>
          </select>
          <FieldError errors={errors} name="security" />
        </label>
      </div>
      <label>
        <span>{t('smtpUsername')}</span>
        <input type="text" data-testid="cn-smtp-username" autocomplete="off" maxLength={254} {...field('username')} />
        <FieldError errors={errors} name="username" />
      </label>
      <label>
        <span>{t('password')}</span>
        <input type="password" data-testid="cn-smtp-password" autocomplete="new-password" maxLength={500} placeholder={smtp.password_set ? t('smtpPasswordKept') : ''} {...field('password')} />
        <FieldError errors={errors} name="password" />
      </label>
      <label>
        <span>{t('smtpFromEmail')}</span>
        <input type="email" data-testid="cn-smtp-from-email" autocomplete="off" maxLength={254} placeholder="support@example.com" {...field('from_email')} />
        <FieldError errors={errors} name="from_email" />
      </label>
      <label>
        <span>{t('smtpFromName')}</span>
        <input type="text" data-testid="cn-smtp-from-name" autocomplete="off" maxLength={200} {...field('from_name')} />
        <FieldError errors={errors} name="from_name" />
      </label>
      {errors.form && (
        <div class="cn-field-error" data-testid="cn-field-error" data-field="form" role="alert">
          {errors.form}
        </div>
      )}
      <label>
        <span>{t('smtpTestTo')}</span>
        <input
          type="email"
          data-testid="cn-smtp-test-to"
          value={to}
          maxLength={254}
          aria-invalid={errors.to ? true : undefined}
          onInput={(e) => {
            setTo((e.currentTarget as HTMLInputElement).value);
            if (errors.to) setErrors({ ...errors, to: '' });
          }}
        />
        <FieldError errors={errors} name="to" />
      </label>
      {result && (
        <div class={`cn-result ${result.ok ? 'is-ok' : 'is-failed'}`} data-testid="cn-smtp-result" data-ok={result.ok ? 'true' : 'false'} role={result.ok ? 'status' : 'alert'}>
          {result.text}
        </div>
      )}
      <div class="cn-form-actions">
        <button type="button" class="cn-btn" data-testid="cn-smtp-test" disabled={!!busy || !form.host.trim() || !to.trim()} onClick={() => void test()}>
          {busy === 'test' ? t('smtpTesting') : t('smtpTest')}
        </button>
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-smtp-save" disabled={!!busy}>
          {busy === 'save' ? t('saving') : t('save')}
        </button>
      </div>
    </form>
  );
}

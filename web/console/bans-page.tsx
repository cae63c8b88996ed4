/**
 * The Bans page (the list, a new ban, changing reason and duration, lifting) and the ban
 * dialog the visitor sidebar opens with the kind and value filled in.
 */
import { useState } from 'preact/hooks';
import { BAN_DURATIONS, BAN_KINDS, type BanForm } from './bans';
import { channelName } from './filter-bar';
import { fullTime } from './format';
import type { FieldErrors } from './host';
import type { Translate } from './i18n';
import type { Store } from './store';
import type { Ban, BanKind } from './types';
import { FieldError, Modal } from './ui';

const DEFAULT_MINUTES = 24 * 60;

export function durationLabel(minutes: number | null, t: Translate): string {
  return minutes === null ? t('banForever') : t(`banFor_${minutes}` as 'banFor_60');
}

const durationValue = (minutes: number | null) => (minutes === null ? 'forever' : String(minutes));
const parseDuration = (value: string) => (value === 'forever' ? null : Number(value));

/** Durations to choose from; `keep` adds "as it is" (undefined), for changing a ban. */
function DurationSelect<T extends number | null | undefined>({ t, value, onChange, testid, keep }: { t: Translate; value: T; onChange: (minutes: T) => void; testid: string; keep?: boolean }) {
  return (
    <select
      data-testid={testid}
      value={value === undefined ? 'keep' : durationValue(value as number | null)}
      onChange={(e) => {
        const raw = (e.currentTarget as HTMLSelectElement).value;
        onChange((raw === 'keep' ? undefined : parseDuration(raw)) as T);
      }}
    >
      {keep && <option value="keep">{t('banKeepDuration')}</option>}
      {BAN_DURATIONS.map((minutes) => (
        <option key={durationValue(minutes)} value={durationValue(minutes)}>
          {durationLabel(minutes, t)}
        </option>
      ))}
    </select>
  );
}

/** The fields of a new ban; `fixed` locks kind and value (the sidebar's prefilled ban). */
function BanFields({ s, form, setForm, errors, fixed }: { s: Store; form: BanForm; setForm: (form: BanForm) => void; errors: FieldErrors; fixed?: boolean }) {
  const t = s.t;
  return (
    <>
      <label>
        <span>{t('banKind')}</span>
        <select data-testid="cn-ban-kind" value={form.kind} disabled={fixed} onChange={(e) => setForm({ ...form, kind: (e.currentTarget as HTMLSelectElement).value as BanKind })}>
          {BAN_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {t(`banKind_${kind}`)}
            </option>
          ))}
        </select>
        <FieldError errors={errors} name="kind" />
      </label>
      <label>
        <span>{t('banValue')}</span>
        <input
          type="text"
          data-testid="cn-ban-value"
          value={form.value}
          readOnly={fixed}
          maxLength={254}
          placeholder={t(`banValueHint_${form.kind}`)}
          aria-invalid={errors.value ? true : undefined}
          onInput={(e) => setForm({ ...form, value: (e.currentTarget as HTMLInputElement).value })}
        />
        <FieldError errors={errors} name="value" />
      </label>
      <label>
        <span>{t('banReason')}</span>
        <input
          type="text"
          data-testid="cn-ban-reason"
          value={form.reason}
          maxLength={500}
          aria-invalid={errors.reason ? true : undefined}
          onInput={(e) => setForm({ ...form, reason: (e.currentTarget as HTMLInputElement).value })}
        />
        <FieldError errors={errors} name="reason" />
      </label>
      <label>
        <span>{t('banDuration')}</span>
        <DurationSelect t={t} testid="cn-ban-duration" value={form.minutes} onChange={(minutes) => setForm({ ...form, minutes })} />
        <FieldError errors={errors} name="minutes" />
      </label>
      {errors.form && (
        <div class="cn-field-error" data-testid="cn-field-error" data-field="form" role="alert">
          {errors.form}
        </div>
      )}
    </>
  );
}

/** The sidebar's "Ban visitor" / "Ban IP" / "Ban in Telegram": kind and value given, reason and duration asked. */
export function BanDialog({ s, kind, value, onClose }: { s: Store; kind: BanKind; value: string; onClose: () => void }) {
  const t = s.t;
  const [form, setForm] = useState<BanForm>({ kind, value, reason: '', minutes: DEFAULT_MINUTES });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    const result = await s.bans.create(form);
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) onClose();
  };
  return (
    <Modal label={t('banTitle')} testid="cn-ban-dialog" onClose={onClose}>
      <form class="cn-form" onSubmit={submit} noValidate>
        <h2>{kind === 'ip' ? t('banIp') : kind === 'visitor' ? t('banVisitor') : t('banIdentity', { channel: channelName(kind, t) })}</h2>
        <BanFields s={s} form={form} setForm={setForm} errors={errors} fixed />
        <div class="cn-form-actions">
          <button type="button" class="cn-btn" onClick={onClose}>
            {t('cancel')}
          </button>
          <button type="submit" class="cn-btn cn-btn-danger" data-testid="cn-ban-submit" disabled={busy}>
            {t('banSubmit')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function BanEditDialog({ s, ban, onClose }: { s: Store; ban: Ban; onClose: () => void }) {
  const t = s.t;
  const [reason, setReason] = useState(ban.reason || '');
  const [minutes, setMinutes] = useState<number | null | undefined>(undefined);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    const result = await s.bans.change(ban, reason, minutes);
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) onClose();
  };
  return (
    <Modal label={t('banEdit')} testid="cn-ban-edit-dialog" onClose={onClose}>
      <form class="cn-form" onSubmit={submit} noValidate>
        <h2>
          {t('banEdit')}: {t(`banKind_${ban.kind}`)} <code>{ban.value}</code>
        </h2>
        <label>
          <span>{t('banReason')}</span>
          <input type="text" data-testid="cn-ban-edit-reason" value={reason} maxLength={500} onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
          <FieldError errors={errors} name="reason" />
        </label>
        <label>
          <span>{t('banDurationFromNow')}</span>
          <DurationSelect t={t} testid="cn-ban-edit-duration" value={minutes} onChange={setMinutes} keep />
          <FieldError errors={errors} name="minutes" />
        </label>
        {errors.form && (
          <div class="cn-field-error" data-testid="cn-field-error" data-field="form" role="alert">
            {errors.form}
          </div>
        )}
        <div class="cn-form-actions">
          <button type="button" class="cn-btn" onClick={onClose}>
            {t('cancel')}
          </button>
          <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-ban-edit-submit" disabled={busy}>
            {t('save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function banState(ban: Ban): 'active' | 'lifted' | 'expired' {
  if (ban.active) return 'active';
  return ban.lifted_at ? 'lifted' : 'expired';
}

export function BansPage({ s }: { s: Store }) {
  const t = s.t;
  const bans = s.bans;
  const empty: BanForm = { kind: 'ip', value: '', reason: '', minutes: DEFAULT_MINUTES };
  const [form, setForm] = useState<BanForm>(empty);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<Ban | null>(null);
  const rows = bans.visible();

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    const result = await bans.create(form);
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) setForm({ ...empty, kind: form.kind });
  };

  return (
    <main class="cn-admin cn-page-bans">
      <section class="cn-panel">
        <div class="cn-panel-head">
          <h2>{t('bans')}</h2>
          <label class="cn-inline">
            <span class="cn-sr">{t('showStatus')}</span>
            <select data-testid="cn-bans-state" value={bans.state} onChange={(e) => void bans.load((e.currentTarget as HTMLSelectElement).value as 'active' | 'all')}>
              <option value="active">{t('bansActive')}</option>
              <option value="all">{t('bansAll')}</option>
            </select>
          </label>
          {bans.loading && <span class="cn-spinner" aria-label={t('loading')} />}
        </div>
        {bans.error && (
          <p class="cn-error">
            {t('loadFailed', { message: bans.error })}{' '}
            <button type="button" class="cn-link" onClick={() => void bans.load()}>
              {t('retry')}
            </button>
          </p>
        )}
        <table class="cn-table" data-testid="cn-bans">
          <thead>
            <tr>
              <th>{t('banKind')}</th>
              <th>{t('banValue')}</th>
              <th>{t('banReason')}</th>
              <th>{t('banUntil')}</th>
              <th>{t('banBy')}</th>
              <th>{t('state')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((ban) => {
              const state = banState(ban);
              return (
                <tr key={ban.id} data-testid="cn-ban-row" data-id={ban.id} data-kind={ban.kind} data-value={ban.value} data-active={ban.active ? 'true' : 'false'} class={ban.active ? '' : 'is-inactive'}>
                  <td>{t(`banKind_${ban.kind}`)}</td>
                  <td class="cn-mono cn-wrap">{ban.value}</td>
                  <td class="cn-wrap" data-testid="cn-ban-reason-cell">
                    {ban.reason || <span class="cn-muted">—</span>}
                  </td>
                  <td data-testid="cn-ban-until">{ban.expires_at ? fullTime(ban.expires_at, s.lang) : t('banForever')}</td>
                  <td>
                    {ban.created_by?.name || '—'}
                    <small class="cn-muted cn-block">{fullTime(ban.created_at, s.lang)}</small>
                  </td>
                  <td>
                    <span class={`cn-badge${ban.active ? ' cn-badge-danger' : ''}`} data-testid="cn-ban-state" data-state={state}>
                      {t(`banState_${state}`)}
                    </span>
                  </td>
                  <td class="cn-right cn-nowrap">
                    {ban.active && (
                      <>
                        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-ban-edit" onClick={() => setEditing(ban)}>
                          {t('edit')}
                        </button>{' '}
                        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-ban-lift" onClick={() => void bans.lift(ban)}>
                          {t('banLift')}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {bans.loaded && !rows.length && <p class="cn-muted cn-empty-line">{t('bansNone')}</p>}
      </section>
      <section class="cn-panel cn-panel-form">
        <h2>{t('banNew')}</h2>
        <form class="cn-form" onSubmit={submit} noValidate>
          <BanFields s={s} form={form} setForm={(next) => { setForm(next); setErrors({}); }} errors={errors} />
          <button type="submit" class="cn-btn cn-btn-danger" data-testid="cn-ban-submit" disabled={busy || !form.value.trim()}>
            {t('banSubmit')}
          </button>
        </form>
      </section>
      {editing && <BanEditDialog s={s} ban={editing} onClose={() => setEditing(null)} />}
    </main>
  );
}

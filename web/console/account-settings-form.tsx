/** The admin's account settings: auto-away, closing resolved conversations, and what may be uploaded (size and kinds of file). */
import { useState } from 'preact/hooks';
import type { FieldErrors } from './host';
import type { Store } from './store';
import { FILE_KINDS, type AccountSettings, type FileKind } from './types';
import { FieldError } from './ui';

export function AccountSettingsForm({ s }: { s: Store }) {
  const t = s.t;
  const store = s.accountSettings;
  return (
    <section class="cn-panel cn-panel-form" data-testid="cn-account-settings">
      <h2>{t('accountSettingsTitle')}</h2>
      {store.error && <p class="cn-error">{t('loadFailed', { message: store.error })}</p>}
      {store.settings ? <Form key={JSON.stringify(store.settings)} s={s} settings={store.settings} /> : !store.error && <p class="cn-muted">{t('loading')}</p>}
    </section>
  );
}

function Form({ s, settings }: { s: Store; settings: AccountSettings }) {
  const t = s.t;
  const [minutes, setMinutes] = useState(String(settings.auto_away_minutes));
  const [closeDays, setCloseDays] = useState(String(settings.close_after_days ?? 7));
  const [maxMb, setMaxMb] = useState(String(settings.files.max_mb));
  const [kinds, setKinds] = useState<FileKind[]>(settings.files.kinds);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const local: FieldErrors = {};
    const away = Number(minutes);
    const size = Number(maxMb);
    const days = Number(closeDays);
    if (minutes.trim() === '' || !Number.isInteger(away) || away < 0 || away > 480) local.auto_away_minutes = t('autoAwayRange');
    if (maxMb.trim() === '' || !Number.isInteger(size) || size < 1 || size > 100) local['files.max_mb'] = t('maxMbRange');
    if (closeDays.trim() === '' || !Number.isInteger(days) || days < 0 || days > 365) local.close_after_days = t('closeAfterDaysRange');
    if (Object.keys(local).length) return setErrors(local);
    setBusy(true);
    // In the server's order, so the form shows what was stored.
    const chosen = FILE_KINDS.filter((kind) => kinds.includes(kind));
    setErrors(await s.accountSettings.save({ auto_away_minutes: away, close_after_days: days, files: { max_mb: size, kinds: chosen } }));
    setBusy(false);
  };

  return (
    <form class="cn-form" onSubmit={submit} noValidate data-testid="cn-account-form">
      <label>
        <span>{t('autoAwayMinutes')}</span>
        <input
          type="number"
          data-testid="cn-auto-away"
          min={0}
          max={480}
          value={minutes}
          aria-invalid={errors.auto_away_minutes ? true : undefined}
          onInput={(e) => {
            setMinutes((e.currentTarget as HTMLInputElement).value);
            setErrors({ ...errors, auto_away_minutes: '' });
          }}
        />
        <small class="cn-muted">{t('autoAwayHint')}</small>
        <FieldError errors={errors} name="auto_away_minutes" />
      </label>
      <label>
        <span>{t('closeAfterDays')}</span>
        <input
          type="number"
          data-testid="cn-close-after-days"
          min={0}
          max={365}
          value={closeDays}
          aria-invalid={errors.close_after_days ? true : undefined}
          onInput={(e) => {
            setCloseDays((e.currentTarget as HTMLInputElement).value);
            setErrors({ ...errors, close_after_days: '' });
          }}
        />
        <small class="cn-muted">{t('closeAfterDaysHint')}</small>
        <FieldError errors={errors} name="close_after_days" />
      </label>
      <label>
        <span>{t('filesMaxMb')}</span>
        <input
          type="number"
          data-testid="cn-files-max-mb"
          min={1}
          max={100}
          value={maxMb}
          aria-invalid={errors['files.max_mb'] ? true : undefined}
          onInput={(e) => {
            setMaxMb((e.currentTarget as HTMLInputElement).value);
            setErrors({ ...errors, 'files.max_mb': '' });
          }}
        />
        <FieldError errors={errors} name="files.max_mb" />
      </label>
      <fieldset class="cn-fieldset" data-testid="cn-files-kinds">
        <legend>{t('filesKinds')}</legend>
        {FILE_KINDS.map((kind) => (
          <label key={kind} class="cn-check">
            <input
              type="checkbox"
              data-testid={`cn-files-kind-${kind}`}
              checked={kinds.includes(kind)}
              onChange={(e) => setKinds((e.currentTarget as HTMLInputElement).checked ? [...kinds, kind] : kinds.filter((other) => other !== kind))}
            />
            <span>{t(`fileKind_${kind}`)}</span>
          </label>
        ))}
        <small class="cn-muted">{t('filesKindsHint')}</small>
        <FieldError errors={errors} name="files.kinds" />
        <FieldError errors={errors} name="files" />
      </fieldset>
      {errors.form && (
        <div class="cn-field-error" data-testid="cn-field-error" data-field="form" role="alert">
          {errors.form}
        </div>
      )}
      <div class="cn-form-actions">
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-account-save" disabled={busy}>
          {busy ? t('saving') : t('save')}
        </button>
      </div>
    </form>
  );
}

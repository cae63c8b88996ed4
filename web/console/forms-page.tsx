/**
 * Admin › Web forms (/console/forms): the account's forms with their page and the snippet to
 * embed one in a site (copied with a click), a new form, and the editor of a form's texts and
 * fields — key, label, type, required, options, and where each value goes (the contact's
 * name, e-mail or phone, the message, the subject, a custom field).
 */
import { useRef, useState } from 'preact/hooks';
import { CopyButton } from './copy-button';
import { defaultFormSettings, FORM_FIELD_TYPES, FORM_TARGETS, type FormField, type FormInbox, type FormSettings } from './forms';
import type { FieldErrors } from './host';
import type { Store } from './store';
import { SettingsSubNav } from './subnav';
import { FieldError } from './ui';

export function FormsPage({ s }: { s: Store }) {
  const t = s.t;
  const forms = s.forms;
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const form = typeof editing === 'number' ? forms.forms.find((item) => item.id === editing) : undefined;
  return (
    <main class="cn-admin cn-page-forms">
      <SettingsSubNav s={s} />
      {editing !== null && (
        <section class="cn-panel cn-form-editor" data-testid="cn-form-editor">
          <h2>{form ? t('formEdit', { name: form.name }) : t('formNew')}</h2>
          <FormEditor key={String(editing)} s={s} form={form} onDone={() => setEditing(null)} />
        </section>
      )}
      <section class="cn-panel" data-testid="cn-forms">
        <div class="cn-panel-head">
          <h2>{t('formsTitle')}</h2>
          <button type="button" class="cn-btn cn-btn-small cn-btn-primary cn-push" data-testid="cn-form-new" disabled={editing === 'new'} onClick={() => setEditing('new')}>
            + {t('formNew')}
          </button>
        </div>
        <p class="cn-muted cn-small">{t('formsHelp')}</p>
        {forms.error && <p class="cn-error">{t('loadFailed', { message: forms.error })}</p>}
        {!forms.loaded && !forms.error && <p class="cn-muted">{t('loading')}</p>}
        {forms.loaded && !forms.forms.length && <p class="cn-muted">{t('formsNone')}</p>}
        <ul class="cn-team-cards">
          {forms.forms.map((item) => (
            <FormCard key={item.id} s={s} form={item} editing={editing === item.id} onEdit={() => setEditing(item.id)} />
          ))}
        </ul>
      </section>
    </main>
  );
}

function FormCard({ s, form, editing, onEdit }: { s: Store; form: FormInbox; editing: boolean; onEdit: () => void }) {
  const t = s.t;
  const url = s.forms.pageUrl(form);
  const embed = `<iframe src="${url}?embed=1" title="${form.settings.title.replace(/"/g, '&quot;')}" style="width:100%;min-height:560px;border:0" loading="lazy"></iframe>`;
  const snippet = useRef<HTMLTextAreaElement>(null);
  return (
    <li class={`cn-team-card${editing ? ' is-editing' : ''}`} data-testid="cn-form" data-id={form.id} data-key={form.site_key} data-name={form.name}>
      <div class="cn-team-card-head">
        <b>{form.name}</b>
        <span class="cn-muted cn-small">{t('formFieldsN', { count: form.settings.fields.length })}</span>
        {!form.is_active && <span class="cn-badge">{t('inactive')}</span>}
        <span class="cn-inline cn-push">
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-form-edit" disabled={editing} onClick={onEdit}>
            {t('edit')}
          </button>
        </span>
      </div>
      <div class="cn-form-link">
        <span class="cn-label">{t('formPage')}</span>
        <a href={url} target="_blank" rel="noopener noreferrer" data-testid="cn-form-url" class="cn-mono">
          {url}
        </a>
        <CopyButton s={s} text={url} testid="cn-form-copy-url" label={t('copyLink')} />
      </div>
      <label class="cn-form-embed">
        <span class="cn-label">{t('formEmbed')}</span>
        <textarea ref={snippet} class="cn-mono" data-testid="cn-form-embed" readOnly rows={2} value={embed} onFocus={(e) => (e.currentTarget as HTMLTextAreaElement).select()} />
      </label>
      <div>
        <CopyButton s={s} text={embed} field={() => snippet.current} testid="cn-form-copy" label={t('formCopyEmbed')} />
      </div>
    </li>
  );
}

/** A field as the editor holds it: options typed one per line. */
type FieldDraft = Omit<FormField, 'options'> & { options: string };

const draftField = (field: FormField): FieldDraft => ({ ...field, options: (field.options || []).join('\n') });
const fieldOut = (field: FieldDraft): FormField => ({
  key: field.key.trim(),
  label: field.label.trim(),
  type: field.type,
  required: field.required,
  maps_to: field.maps_to || null,
  options:
    field.type === 'select'
      ? field.options
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean)
      : null,
});

function FormEditor({ s, form, onDone }: { s: Store; form?: FormInbox; onDone: () => void }) {
  const t = s.t;
  const start = form?.settings || defaultFormSettings(s.lang);
  const [name, setName] = useState(form?.name || '');
  const [settings, setSettings] = useState<Omit<FormSettings, 'fields'>>(() => {
    const { fields, ...rest } = start;
    return rest;
  });
  const [fields, setFields] = useState<FieldDraft[]>(() => start.fields.map(draftField));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const clear = (key: string) => errors[key] && setErrors({ ...errors, [key]: '' });
  const set = <K extends keyof typeof settings>(key: K, value: (typeof settings)[K]) => {
    setSettings({ ...settings, [key]: value });
    clear(key);
  };
  const setField = (index: number, change: Partial<FieldDraft>) => {
    setFields(fields.map((field, i) => (i === index ? { ...field, ...change } : field)));
    clear(`fields.${index}`);
    clear('fields');
  };
  const move = (index: number, delta: -1 | 1) => {
    const next = [...fields];
    [next[index], next[index + delta]] = [next[index + delta], next[index]];
    setFields(next);
    setErrors({});
  };
  // Custom fields a form value may fill.
  const customs = s.taxonomy.fields.filter((field) => field.is_active);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!name.trim()) return setErrors({ name: t('nameRequired') });
    setBusy(true);
    const result = await s.forms.save(name, { ...settings, fields: fields.map(fieldOut) }, form?.id);
    setBusy(false);
    if ('errors' in result) return setErrors(result.errors);
    s.showToast(t(form ? 'formSaved' : 'formCreated', { name: result.form.name }), 'info');
    onDone();
  };

  return (
    <form class="cn-form" onSubmit={submit} noValidate data-testid="cn-form-form">
      <div class="cn-form-grid">
        <label>
          <span>{t('formName')}</span>
          <input type="text" data-testid="cn-form-name" maxLength={200} value={name} aria-invalid={errors.name ? true : undefined} onInput={(e) => { setName((e.currentTarget as HTMLInputElement).value); clear('name'); }} />
          <small class="cn-muted">{t('formNameHint')}</small>
          <FieldError errors={errors} name="name" />
        </label>
        <label>
          <span>{t('formTitle')}</span>
          <input type="text" data-testid="cn-form-title" maxLength={200} value={settings.title} aria-invalid={errors.title ? true : undefined} onInput={(e) => set('title', (e.currentTarget as HTMLInputElement).value)} />
          <FieldError errors={errors} name="title" />
        </label>
        <label class="cn-span2">
          <span>{t('formDescription')}</span>
          <textarea data-testid="cn-form-description" rows={2} maxLength={2000} value={settings.description} onInput={(e) => set('description', (e.currentTarget as HTMLTextAreaElement).value)} />
          <FieldError errors={errors} name="description" />
        </label>
        <label>
          <span>{t('formLanguage')}</span>
          <select data-testid="cn-form-language" value={settings.language} onChange={(e) => set('language', (e.currentTarget as HTMLSelectElement).value as FormSettings['language'])}>
            <option value="ru">Русский</option>
            <option value="en">English</option>
          </select>
        </label>
        <label>
          <span>{t('siteColor')}</span>
          <span class="cn-color">
            <input type="color" value={/^#[0-9a-f]{6}$/i.test(settings.color) ? settings.color.toLowerCase() : '#2563eb'} onInput={(e) => set('color', (e.currentTarget as HTMLInputElement).value)} aria-label={t('siteColor')} />
            <input type="text" data-testid="cn-form-color" maxLength={7} value={settings.color} aria-invalid={errors.color ? true : undefined} onInput={(e) => set('color', (e.currentTarget as HTMLInputElement).value)} />
          </span>
          <FieldError errors={errors} name="color" />
        </label>
        <label class="cn-span2">
          <span>{t('formSuccessText')}</span>
          <input type="text" data-testid="cn-form-success" maxLength={1000} value={settings.success_text} onInput={(e) => set('success_text', (e.currentTarget as HTMLInputElement).value)} />
          <FieldError errors={errors} name="success_text" />
        </label>
        <label class="cn-check cn-span2">
          <input type="checkbox" data-testid="cn-form-attachments" checked={settings.attachments} onChange={(e) => set('attachments', (e.currentTarget as HTMLInputElement).checked)} />
          <span>{t('formAttachments')}</span>
        </label>
      </div>

      <fieldset class="cn-fieldset" data-testid="cn-form-fields">
        <legend>{t('formFields')}</legend>
        <p class="cn-muted cn-small">{t('formFieldsHelp')}</p>
        <table class="cn-form-fields">
          <thead>
            <tr>
              <th>{t('fieldLabel')}</th>
              <th>{t('fieldKey')}</th>
              <th>{t('fieldType')}</th>
              <th>{t('formMapsTo')}</th>
              <th>{t('fieldRequired')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {fields.map((field, index) => (
              <FieldRow
                key={index}
                s={s}
                field={field}
                index={index}
                count={fields.length}
                customs={customs.map((custom) => ({ key: custom.key, label: custom.label }))}
                takenTargets={fields.filter((_, i) => i !== index).map((other) => other.maps_to)}
                error={errors[`fields.${index}`]}
                onChange={(change) => setField(index, change)}
                onMove={(delta) => move(index, delta)}
                onRemove={() => {
                  setFields(fields.filter((_, i) => i !== index));
                  setErrors({});
                }}
              />
            ))}
          </tbody>
        </table>
        <FieldError errors={errors} name="fields" />
        <div>
          <button
            type="button"
            class="cn-btn cn-btn-small"
            data-testid="cn-form-field-add"
            disabled={fields.length >= 30}
            onClick={() => setFields([...fields, { key: nextKey(fields), label: '', type: 'text', required: false, options: '', maps_to: null }])}
          >
            + {t('formFieldAdd')}
          </button>
        </div>
      </fieldset>

      <FieldError errors={errors} name="language" />
      <FieldError errors={errors} name="attachments" />
      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="button" class="cn-btn" data-testid="cn-form-cancel" onClick={onDone}>
          {t('cancel')}
        </button>
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-form-save" disabled={busy}>
          {busy ? t('saving') : form ? t('save') : t('formCreate')}
        </button>
      </div>
    </form>
  );
}

/** field_1, field_2 …: a key not used yet. */
function nextKey(fields: FieldDraft[]): string {
  for (let n = fields.length + 1; ; n++) if (!fields.some((field) => field.key === `field_${n}`)) return `field_${n}`;
}

interface FieldRowProps {
  s: Store;
  field: FieldDraft;
  index: number;
  count: number;
  customs: { key: string; label: string }[];
  takenTargets: (string | null)[];
  error?: string;
  onChange: (change: Partial<FieldDraft>) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
}

function FieldRow({ s, field, index, count, customs, takenTargets, error, onChange, onMove, onRemove }: FieldRowProps) {
  const t = s.t;
  const targets = [...FORM_TARGETS.map((target) => ({ value: target, label: t(`formTarget_${target}`) })), ...customs.map((custom) => ({ value: `custom.${custom.key}`, label: t('formTargetCustom', { name: custom.label }) }))];
  return (
    <>
      <tr class={`cn-form-field${error ? ' is-invalid' : ''}`} data-testid="cn-form-field" data-index={index} data-key={field.key}>
        <td>
          <input type="text" data-testid="cn-form-field-label" aria-label={t('fieldLabel')} maxLength={200} value={field.label} aria-invalid={error ? true : undefined} onInput={(e) => onChange({ label: (e.currentTarget as HTMLInputElement).value })} />
        </td>
        <td>
          <input type="text" class="cn-mono" data-testid="cn-form-field-key" aria-label={t('fieldKey')} maxLength={50} value={field.key} aria-invalid={error ? true : undefined} onInput={(e) => onChange({ key: (e.currentTarget as HTMLInputElement).value })} />
        </td>
        <td>
          <select data-testid="cn-form-field-type" aria-label={t('fieldType')} value={field.type} onChange={(e) => onChange({ type: (e.currentTarget as HTMLSelectElement).value as FormField['type'] })}>
            {FORM_FIELD_TYPES.map((type) => (
              <option key={type} value={type}>
                {t(`formFieldType_${type}`)}
              </option>
            ))}
          </select>
        </td>
        <td>
          <select data-testid="cn-form-field-maps" aria-label={t('formMapsTo')} value={field.maps_to || ''} onChange={(e) => onChange({ maps_to: (e.currentTarget as HTMLSelectElement).value || null })}>
            <option value="">{t('formTargetNone')}</option>
            {targets
              .filter((target) => target.value === field.maps_to || !takenTargets.includes(target.value))
              .map((target) => (
                <option key={target.value} value={target.value}>
                  {target.label}
                </option>
              ))}
            {field.maps_to && !targets.some((target) => target.value === field.maps_to) && <option value={field.maps_to}>{field.maps_to}</option>}
          </select>
        </td>
        <td class="cn-center">
          <input type="checkbox" data-testid="cn-form-field-required" aria-label={t('fieldRequired')} checked={field.required} onChange={(e) => onChange({ required: (e.currentTarget as HTMLInputElement).checked })} />
        </td>
        <td class="cn-nowrap">
          <button type="button" class="cn-icon-btn cn-icon-btn-light" aria-label={t('moveUp')} title={t('moveUp')} disabled={index === 0} onClick={() => onMove(-1)}>
            ↑
          </button>
          <button type="button" class="cn-icon-btn cn-icon-btn-light" aria-label={t('moveDown')} title={t('moveDown')} disabled={index >= count - 1} onClick={() => onMove(1)}>
            ↓
          </button>
          <button type="button" class="cn-icon-btn cn-icon-dark" data-testid="cn-form-field-remove" aria-label={t('remove')} title={t('remove')} disabled={count <= 1} onClick={onRemove}>
            ×
          </button>
        </td>
      </tr>
      {(field.type === 'select' || error) && (
        <tr class="cn-form-field-more">
          <td colSpan={6}>
            {field.type === 'select' && (
              <label class="cn-field-options">
                <span class="cn-label">{t('fieldOptions')}</span>
                <textarea data-testid="cn-form-field-options" rows={3} placeholder={t('fieldOptionsHint')} value={field.options} onInput={(e) => onChange({ options: (e.currentTarget as HTMLTextAreaElement).value })} />
              </label>
            )}
            {error && (
              <div class="cn-field-error" data-testid="cn-field-error" data-field={`fields.${index}`} role="alert">
                {error}
              </div>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

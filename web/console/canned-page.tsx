/**
 * Canned responses: the agent's own and the shared ones, with a form to add or change one.
 * Shared responses are offered only to supervisors and admins (the server refuses the rest).
 */
import { useRef, useState } from 'preact/hooks';
import { PLACEHOLDERS, searchCanned, type CannedForm } from './canned';
import { preview } from './format';
import type { FieldErrors } from './host';
import type { Store } from './store';
import { TextsSubNav } from './subnav';
import type { Canned } from './types';
import { FieldError } from './ui';

const EMPTY: CannedForm = { shortcut: '', title: '', body: '', scope: 'personal' };

export function CannedPage({ s }: { s: Store }) {
  const t = s.t;
  const canned = s.canned;
  const [form, setForm] = useState<CannedForm>(EMPTY);
  const [editing, setEditing] = useState<Canned | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [query, setQuery] = useState('');
  const [confirming, setConfirming] = useState<number | null>(null);
  const body = useRef<HTMLTextAreaElement>(null);
  const rows = searchCanned(canned.items, query);

  const field = (name: keyof CannedForm) => ({
    value: form[name],
    'aria-invalid': errors[name] ? true : undefined,
    onInput: (e: Event) => {
      setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value });
      if (errors[name]) setErrors({ ...errors, [name]: '' });
    },
  });

  const edit = (item: Canned | null) => {
    setEditing(item);
    setErrors({});
    setForm(item ? { shortcut: item.shortcut, title: item.title, body: item.body, scope: item.scope } : EMPTY);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    const result = await canned.save(form, editing?.id);
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) edit(null);
  };

  /** Puts a placeholder into the body at the caret. */
  const insert = (placeholder: string) => {
    const el = body.current;
    const at = el ? el.selectionStart : form.body.length;
    const end = el ? el.selectionEnd : at;
    const next = form.body.slice(0, at) + placeholder + form.body.slice(end);
    setForm({ ...form, body: next });
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + placeholder.length, at + placeholder.length);
    });
  };

  const remove = async (item: Canned) => {
    if (confirming !== item.id) {
      setConfirming(item.id);
      setTimeout(() => setConfirming((current) => (current === item.id ? null : current)), 4000);
      return;
    }
    setConfirming(null);
    if ((await canned.remove(item)) && editing?.id === item.id) edit(null);
  };

  return (
    <main class="cn-admin cn-page-canned">
      <TextsSubNav s={s} />
      <section class="cn-panel">
        <div class="cn-panel-head">
          <h2>{t('cannedTitle')}</h2>
          <input type="search" class="cn-search" data-testid="cn-canned-search" placeholder={t('cannedSearch')} value={query} onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)} />
          {canned.loading && <span class="cn-spinner" aria-label={t('loading')} />}
        </div>
        <p class="cn-muted cn-small">{t('cannedHowTo')}</p>
        {canned.error && (
          <p class="cn-error">
            {t('loadFailed', { message: canned.error })}{' '}
            <button type="button" class="cn-link" onClick={() => void canned.load()}>
              {t('retry')}
            </button>
          </p>
        )}
        <table class="cn-table" data-testid="cn-canned-list">
          <thead>
            <tr>
              <th>{t('cannedShortcut')}</th>
              <th>{t('cannedTitleField')}</th>
              <th>{t('cannedBody')}</th>
              <th>{t('cannedScope')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((item) => {
              const editable = canned.canEdit(item);
              return (
                <tr key={item.id} data-testid="cn-canned-row" data-id={item.id} data-shortcut={item.shortcut} data-scope={item.scope} class={editing?.id === item.id ? 'is-editing' : ''}>
                  <td class="cn-mono">/{item.shortcut}</td>
                  <td>{item.title}</td>
                  <td class="cn-wrap cn-muted" title={item.body}>
                    {preview(item.body, 100)}
                  </td>
                  <td>
                    <span class={`cn-badge${item.scope === 'shared' ? ' cn-badge-ok' : ''}`}>{t(item.scope === 'shared' ? 'cannedShared' : 'cannedPersonal')}</span>
                  </td>
                  <td class="cn-right cn-nowrap">
                    {editable && (
                      <>
                        <button type="button" class="cn-btn cn-btn-small" data-testid="cn-canned-edit" onClick={() => edit(item)}>
                          {t('edit')}
                        </button>{' '}
                        <button type="button" class={`cn-btn cn-btn-small${confirming === item.id ? ' cn-btn-danger' : ''}`} data-testid="cn-canned-delete" onClick={() => void remove(item)}>
                          {confirming === item.id ? t('confirmDelete') : t('delete')}
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {canned.loaded && !rows.length && <p class="cn-muted cn-empty-line">{query ? t('cannedNoMatch') : t('cannedNone')}</p>}
      </section>
      <section class="cn-panel cn-panel-form">
        <h2>{editing ? t('cannedEdit', { shortcut: editing.shortcut }) : t('cannedNew')}</h2>
        <form class="cn-form" onSubmit={submit} noValidate data-testid="cn-canned-form">
          <label>
            <span>{t('cannedShortcut')}</span>
            <span class="cn-prefixed">
              <i aria-hidden="true">/</i>
              <input type="text" data-testid="cn-canned-shortcut" autocomplete="off" maxLength={64} placeholder={t('cannedShortcutHint')} {...field('shortcut')} />
            </span>
            <FieldError errors={errors} name="shortcut" />
          </label>
          <label>
            <span>{t('cannedTitleField')}</span>
            <input type="text" data-testid="cn-canned-title" autocomplete="off" maxLength={200} {...field('title')} />
            <FieldError errors={errors} name="title" />
          </label>
          <label>
            <span>{t('cannedBody')}</span>
            <textarea ref={body} data-testid="cn-canned-body" rows={6} spellcheck {...field('body')} />
            <FieldError errors={errors} name="body" />
          </label>
          <div class="cn-placeholders" aria-label={t('cannedPlaceholders')}>
            <small class="cn-muted">{t('cannedPlaceholders')}</small>
            {PLACEHOLDERS.map((placeholder) => (
              <button key={placeholder} type="button" class="cn-chip" onClick={() => insert(placeholder)}>
                {placeholder}
              </button>
            ))}
            <small class="cn-muted cn-block">{t('cannedFallbackHint')}</small>
          </div>
          <label>
            <span>{t('cannedScope')}</span>
            <select data-testid="cn-canned-scope" value={form.scope} onChange={(e) => setForm({ ...form, scope: (e.currentTarget as HTMLSelectElement).value as CannedForm['scope'] })}>
              <option value="personal">{t('cannedPersonal')}</option>
              {(canned.canShare() || form.scope === 'shared') && <option value="shared">{t('cannedShared')}</option>}
            </select>
            <FieldError errors={errors} name="scope" />
          </label>
          {errors.form && (
            <div class="cn-field-error" data-testid="cn-field-error" data-field="form" role="alert">
              {errors.form}
            </div>
          )}
          <div class="cn-form-actions">
            {editing && (
              <button type="button" class="cn-btn" onClick={() => edit(null)}>
                {t('cancel')}
              </button>
            )}
            <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-canned-submit" disabled={busy}>
              {editing ? t('save') : t('cannedCreate')}
            </button>
          </div>
        </form>
      </section>
    </main>
  );
}

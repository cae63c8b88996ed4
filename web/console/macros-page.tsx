/**
 * Macros (/console/macros, next to the canned responses): the agent's own and the shared ones,
 * and a form to make or change one — its actions in order and a reply with the canned
 * responses' placeholders. Shared macros are made and changed by supervisors and admins.
 */
import { useRef, useState } from 'preact/hooks';
import { PLACEHOLDERS } from './canned';
import { preview } from './format';
import type { FieldErrors } from './host';
import { macroSummary } from './macro-picker';
import { MACRO_ACTION_TYPES, MACRO_STATUSES, type Macro, type MacroAction, type MacroActionType, type MacroForm } from './macros';
import { tagsOf } from './routing';
import type { Store } from './store';
import { TextsSubNav } from './subnav';
import { treeOrder } from './taxonomy';
import { PRIORITIES } from './types';
import { FieldError } from './ui';

const EMPTY: MacroForm = { name: '', actions: [], reply: '', shared: false };

/** An action as the form holds it: the value as typed or chosen. */
interface ActionDraft {
  type: MacroActionType;
  value: string;
  key: string;
}

const draftOf = (action: MacroAction): ActionDraft => ({
  type: action.type,
  value: Array.isArray(action.value) ? action.value.join(', ') : action.value === null || action.value === undefined ? '' : String(action.value),
  key: action.key || '',
});

function newDraft(type: MacroActionType): ActionDraft {
  const value = type === 'set_priority' ? 'high' : type === 'set_status' ? 'pending' : type === 'assign' ? 'me' : '';
  return { type, value, key: '' };
}

function actionOut(draft: ActionDraft, s: Store): MacroAction {
  const id = (text: string) => (/^\d+$/.test(text) ? Number(text) : text || null);
  switch (draft.type) {
    case 'add_tags':
    case 'remove_tags':
      return { type: draft.type, value: tagsOf(draft.value) };
    case 'set_category':
    case 'set_team':
      return { type: draft.type, value: id(draft.value) };
    case 'assign':
      return { type: draft.type, value: draft.value === 'me' ? 'me' : id(draft.value) };
    case 'set_field': {
      const field = s.taxonomy.field(draft.key);
      const number = Number(draft.value.trim().replace(',', '.'));
      const value = !draft.value.trim() ? null : field?.type === 'number' && Number.isFinite(number) ? number : draft.value.trim();
      return { type: draft.type, key: draft.key, value };
    }
    default:
      return { type: draft.type, value: draft.value };
  }
}

export function MacrosPage({ s }: { s: Store }) {
  const t = s.t;
  const macros = s.macros;
  const [editing, setEditing] = useState<Macro | null>(null);
  const [name, setName] = useState('');
  const [actions, setActions] = useState<ActionDraft[]>([]);
  const [reply, setReply] = useState('');
  const [shared, setShared] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<number | null>(null);
  const replyBox = useRef<HTMLTextAreaElement>(null);

  const edit = (macro: Macro | null) => {
    const form = macro || EMPTY;
    setEditing(macro);
    setName(form.name);
    setActions(form.actions.map(draftOf));
    setReply(form.reply || '');
    setShared(form.shared);
    setErrors({});
  };
  const clear = (key: string) => errors[key] && setErrors({ ...errors, [key]: '' });
  const setAction = (index: number, change: Partial<ActionDraft>) => {
    setActions(actions.map((action, i) => (i === index ? { ...action, ...change } : action)));
    clear(`actions.${index}`);
    clear('actions');
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!name.trim()) return setErrors({ name: t('nameRequired') });
    setBusy(true);
    const result = await macros.save({ name, actions: actions.map((action) => actionOut(action, s)), reply, shared }, editing?.id);
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) {
      s.showToast(t('macroSaved', { name: name.trim() }), 'info');
      edit(null);
    }
  };

  /** Puts a placeholder into the reply at the caret. */
  const insert = (placeholder: string) => {
    const el = replyBox.current;
    const at = el ? el.selectionStart : reply.length;
    const end = el ? el.selectionEnd : at;
    setReply(reply.slice(0, at) + placeholder + reply.slice(end));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + placeholder.length, at + placeholder.length);
    });
  };

  const remove = async (macro: Macro) => {
    if (confirming !== macro.id) {
      setConfirming(macro.id);
      setTimeout(() => setConfirming((current) => (current === macro.id ? null : current)), 4000);
      return;
    }
    setConfirming(null);
    if ((await macros.remove(macro)) && editing?.id === macro.id) edit(null);
  };

  return (
    <main class="cn-admin cn-page-macros">
      <TextsSubNav s={s} />
      <section class="cn-panel">
        <div class="cn-panel-head">
          <h2>{t('macrosTitle')}</h2>
          {macros.loading && <span class="cn-spinner" aria-label={t('loading')} />}
        </div>
        <p class="cn-muted cn-small">{t('macrosHowTo')}</p>
        {macros.error && <p class="cn-error">{t('loadFailed', { message: macros.error })}</p>}
        <table class="cn-table" data-testid="cn-macros-list">
          <thead>
            <tr>
              <th>{t('name')}</th>
              <th>{t('macroActions')}</th>
              <th>{t('macroReply')}</th>
              <th>{t('cannedScope')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {macros.items.map((macro) => (
              <tr key={macro.id} data-testid="cn-macro-row" data-id={macro.id} data-name={macro.name} data-shared={macro.shared ? 'true' : 'false'} class={editing?.id === macro.id ? 'is-editing' : ''}>
                <td>
                  <b>{macro.name}</b>
                </td>
                <td class="cn-wrap cn-small">{macroSummary(s, macro) || <span class="cn-muted">—</span>}</td>
                <td class="cn-wrap cn-muted cn-small" title={macro.reply || undefined}>
                  {macro.reply ? preview(macro.reply, 80) : '—'}
                </td>
                <td>
                  <span class={`cn-badge${macro.shared ? ' cn-badge-ok' : ''}`}>{t(macro.shared ? 'cannedShared' : 'cannedPersonal')}</span>
                </td>
                <td class="cn-right cn-nowrap">
                  {macros.canEdit(macro) && (
                    <>
                      <button type="button" class="cn-btn cn-btn-small" data-testid="cn-macro-edit" onClick={() => edit(macro)}>
                        {t('edit')}
                      </button>{' '}
                      <button type="button" class={`cn-btn cn-btn-small${confirming === macro.id ? ' cn-btn-danger' : ''}`} data-testid="cn-macro-delete" onClick={() => void remove(macro)}>
                        {confirming === macro.id ? t('confirmDelete') : t('delete')}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {macros.loaded && !macros.items.length && <p class="cn-muted cn-empty-line">{t('macrosNone')}</p>}
      </section>
      <section class="cn-panel cn-panel-form cn-macro-form-panel">
        <h2>{editing ? t('macroEdit', { name: editing.name }) : t('macroNew')}</h2>
        <form class="cn-form" onSubmit={submit} noValidate data-testid="cn-macro-form">
          <label>
            <span>{t('name')}</span>
            <input
              type="text"
              data-testid="cn-macro-name"
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
          <div class="cn-macro-actions" data-testid="cn-macro-actions">
            <span class="cn-label">{t('macroActions')}</span>
            {actions.map((action, index) => (
              <div key={index} class="cn-macro-action" data-testid="cn-macro-action" data-index={index} data-type={action.type}>
                <div class="cn-macro-action-row">
                  <select data-testid="cn-macro-action-type" aria-label={t('ruleActionType')} value={action.type} onChange={(e) => setAction(index, newDraft((e.currentTarget as HTMLSelectElement).value as MacroActionType))}>
                    {MACRO_ACTION_TYPES.map((type) => (
                      <option key={type} value={type}>
                        {t(`macroAction_${type}`)}
                      </option>
                    ))}
                  </select>
                  <button
                    type="button"
                    class="cn-icon-btn cn-icon-dark"
                    data-testid="cn-macro-action-remove"
                    aria-label={t('remove')}
                    title={t('remove')}
                    onClick={() => {
                      setActions(actions.filter((_, i) => i !== index));
                      setErrors({});
                    }}
                  >
                    ×
                  </button>
                </div>
                <MacroActionValue s={s} action={action} invalid={!!errors[`actions.${index}`]} onChange={(change) => setAction(index, change)} />
                <FieldError errors={errors} name={`actions.${index}`} />
              </div>
            ))}
            <div>
              <button type="button" class="cn-btn cn-btn-small" data-testid="cn-macro-action-add" disabled={actions.length >= 20} onClick={() => setActions([...actions, newDraft(actions.length ? 'add_tags' : 'set_priority')])}>
                + {t('ruleAddAction')}
              </button>
            </div>
            <FieldError errors={errors} name="actions" />
          </div>
          <label>
            <span>{t('macroReply')}</span>
            <textarea
              ref={replyBox}
              data-testid="cn-macro-reply"
              rows={5}
              spellcheck
              maxLength={5000}
              value={reply}
              aria-invalid={errors.reply ? true : undefined}
              onInput={(e) => {
                setReply((e.currentTarget as HTMLTextAreaElement).value);
                clear('reply');
              }}
            />
            <small class="cn-muted">{t('macroReplyHint')}</small>
            <FieldError errors={errors} name="reply" />
          </label>
          <div class="cn-placeholders" aria-label={t('cannedPlaceholders')}>
            <small class="cn-muted">{t('cannedPlaceholders')}</small>
            {PLACEHOLDERS.map((placeholder) => (
              <button key={placeholder} type="button" class="cn-chip" onClick={() => insert(placeholder)}>
                {placeholder}
              </button>
            ))}
          </div>
          {(macros.canShare() || shared) && (
            <label class="cn-check">
              <input type="checkbox" data-testid="cn-macro-shared" checked={shared} disabled={!macros.canShare()} onChange={(e) => setShared((e.currentTarget as HTMLInputElement).checked)} />
              <span>{t('macroShared')}</span>
            </label>
          )}
          <FieldError errors={errors} name="shared" />
          <FieldError errors={errors} name="form" />
          <div class="cn-form-actions">
            {editing && (
              <button type="button" class="cn-btn" onClick={() => edit(null)}>
                {t('cancel')}
              </button>
            )}
            <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-macro-submit" disabled={busy}>
              {editing ? t('save') : t('macroCreate')}
            </button>
          </div>
        </form>
      </section>
    </main>
  );
}

function MacroActionValue({ s, action, invalid, onChange }: { s: Store; action: ActionDraft; invalid: boolean; onChange: (change: Partial<ActionDraft>) => void }) {
  const t = s.t;
  const aria = { 'aria-invalid': invalid ? true : undefined, 'data-testid': 'cn-macro-action-value', 'aria-label': t(`macroAction_${action.type}`) } as const;
  const select = (options: { value: string; label: string }[]) => (
    <select {...aria} value={action.value} onChange={(e) => onChange({ value: (e.currentTarget as HTMLSelectElement).value })}>
      {options.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  );
  switch (action.type) {
    case 'set_priority':
      return select(PRIORITIES.map((priority) => ({ value: priority, label: t(`priority_${priority}`) })));
    case 'set_status':
      return select(MACRO_STATUSES.map((status) => ({ value: status, label: t(`macroStatus_${status}`) })));
    case 'set_category':
      return select([{ value: '', label: t('noCategory') }, ...treeOrder(s.taxonomy.categories).filter(({ category }) => category.is_active || String(category.id) === action.value).map(({ category }) => ({ value: String(category.id), label: s.taxonomy.categoryPath(category.id) }))]);
    case 'set_team':
      return select([{ value: '', label: t('ruleChoose') }, ...s.teams.list.map((team) => ({ value: String(team.id), label: team.name }))]);
    case 'assign':
      return select([
        { value: 'me', label: t('macroAssignMe') },
        { value: '', label: t('unassigned') },
        ...s.team.list.filter((agent) => agent.is_active).map((agent) => ({ value: String(agent.id), label: agent.name })),
      ]);
    case 'add_tags':
    case 'remove_tags':
      return <input type="text" {...aria} placeholder={t('ruleTagsPlaceholder')} maxLength={1000} value={action.value} onInput={(e) => onChange({ value: (e.currentTarget as HTMLInputElement).value })} />;
    case 'set_field': {
      const field = s.taxonomy.field(action.key);
      return (
        <span class="cn-inline-fields">
          <select data-testid="cn-macro-action-key" aria-label={t('ruleFieldToSet')} value={action.key} onChange={(e) => onChange({ key: (e.currentTarget as HTMLSelectElement).value, value: '' })}>
            <option value="">{t('ruleChoose')}</option>
            {s.taxonomy.fields
              .filter((item) => item.is_active || item.key === action.key)
              .map((item) => (
                <option key={item.key} value={item.key}>
                  {item.label}
                </option>
              ))}
          </select>
          {field?.type === 'select' ? (
            select([{ value: '', label: t('ruleClearField') }, ...(field.options || []).map((option) => ({ value: option, label: option }))])
          ) : (
            <input type={field?.type === 'date' ? 'date' : 'text'} {...aria} placeholder={t('ruleClearField')} maxLength={1000} value={action.value} onInput={(e) => onChange({ value: (e.currentTarget as HTMLInputElement).value })} />
          )}
        </span>
      );
    }
    default:
      return null;
  }
}

/**
 * The conversation's properties in the sidebar: priority, category (the tree, by path), tags
 * (with the account's tags as suggestions) and the account's custom fields. Each change is
 * saved at once; a refusal shows by its field and changes nothing (the server checks
 * everything before it changes anything).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { fieldErrors, type FieldErrors } from './host';
import type { PropertyChanges } from './desk';
import { cleanTag } from './inbox-filter';
import type { Store } from './store';
import { treeOrder } from './taxonomy';
import { PRIORITIES, type Conversation, type CustomField, type FieldValue, type Priority } from './types';
import { FieldError } from './ui';

export function PropertiesPanel({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const [errors, setErrors] = useState<FieldErrors>({});
  useEffect(() => s.taxonomy.refresh(), []);
  const fields = s.taxonomy.fields.filter((field) => field.is_active);
  const known = ['priority', 'category_id', 'tags', 'fields', ...fields.map((field) => `fields.${field.key}`)];

  /** Saves, and puts a refusal by the field it names (`own`: the field the change is about). */
  const save = async (changes: PropertyChanges, own: string): Promise<boolean> => {
    const error = await s.desk.patch(c.id, changes);
    const next = { ...errors };
    delete next[own];
    if (error?.code === 'invalid_field') Object.assign(next, fieldErrors(error, s, known));
    else if (error) next[own] = s.errorText(error);
    setErrors(next);
    return !error;
  };

  const categories = treeOrder(s.taxonomy.categories);
  const current = s.taxonomy.categories.find((category) => category.id === c.category_id);
  return (
    <section class="cn-props" data-testid="cn-properties" aria-label={t('properties')}>
      <div class="cn-props-grid">
        <label for={`cn-priority-${c.id}`}>{t('priority')}</label>
        <div>
          <select
            id={`cn-priority-${c.id}`}
            data-testid="cn-prop-priority"
            class={`cn-priority-select is-${c.priority || 'normal'}`}
            value={c.priority || 'normal'}
            onChange={(e) => void save({ priority: (e.currentTarget as HTMLSelectElement).value as Priority }, 'priority')}
          >
            {PRIORITIES.map((priority) => (
              <option key={priority} value={priority}>
                {t(`priority_${priority}`)}
              </option>
            ))}
          </select>
          <FieldError errors={errors} name="priority" />
        </div>
        <label for={`cn-category-${c.id}`}>{t('category')}</label>
        <div>
          <select
            id={`cn-category-${c.id}`}
            data-testid="cn-prop-category"
            value={c.category_id ?? ''}
            title={s.taxonomy.categoryPath(c.category_id) || undefined}
            onChange={(e) => {
              const value = (e.currentTarget as HTMLSelectElement).value;
              void save({ category_id: value ? Number(value) : null }, 'category_id');
            }}
          >
            <option value="">{t('noCategory')}</option>
            {categories
              .filter(({ category }) => category.is_active || category.id === c.category_id)
              .map(({ category }) => (
                <option key={category.id} value={category.id} disabled={!category.is_active}>
                  {s.taxonomy.categoryPath(category.id)}
                  {category.is_active ? '' : ` (${t('archived')})`}
                </option>
              ))}
            {c.category_id && !current && <option value={c.category_id}>#{c.category_id}</option>}
          </select>
          <FieldError errors={errors} name="category_id" />
        </div>
        <span class="cn-props-label">{t('tags')}</span>
        <div>
          <TagsEditor s={s} c={c} onAdd={(tag) => save({ add_tags: [tag] }, 'tags')} onRemove={(tag) => void save({ remove_tags: [tag] }, 'tags')} />
          <FieldError errors={errors} name="tags" />
        </div>
        {fields.map((field) => (
          <FieldRow key={field.key} s={s} c={c} field={field} errors={errors} setErrors={setErrors} save={save} />
        ))}
      </div>
      <FieldError errors={errors} name="fields" />
      <FieldError errors={errors} name="form" />
      {s.taxonomy.error && <p class="cn-error cn-small">{t('loadFailed', { message: s.taxonomy.error })}</p>}
    </section>
  );
}

function TagsEditor({ s, c, onAdd, onRemove }: { s: Store; c: Conversation; onAdd: (tag: string) => Promise<boolean>; onRemove: (tag: string) => void }) {
  const t = s.t;
  const [text, setText] = useState('');
  const tags = c.tags || [];
  const add = async () => {
    const tag = cleanTag(text);
    if (!tag) return;
    if (tags.includes(tag)) return setText('');
    if (await onAdd(tag)) setText('');
  };
  return (
    <div class="cn-tags-editor" data-testid="cn-prop-tags">
      {tags.map((tag) => (
        <span key={tag} class="cn-tag" data-testid="cn-prop-tag" data-tag={tag}>
          {tag}
          <button type="button" class="cn-tag-x" data-testid="cn-prop-tag-remove" aria-label={t('removeTagN', { tag })} title={t('removeTagN', { tag })} onClick={() => onRemove(tag)}>
            ×
          </button>
        </span>
      ))}
      <input
        type="text"
        class="cn-tag-input"
        data-testid="cn-prop-tag-input"
        list="cn-tag-suggestions"
        placeholder={t('addTagPlaceholder')}
        aria-label={t('addTag')}
        maxLength={50}
        value={text}
        onFocus={() => void s.taxonomy.loadTags()}
        onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' || event.key === ',') {
            event.preventDefault();
            void add();
          }
        }}
      />
    </div>
  );
}

interface FieldRowProps {
  s: Store;
  c: Conversation;
  field: CustomField;
  errors: FieldErrors;
  setErrors: (errors: FieldErrors) => void;
  save: (changes: PropertyChanges, own: string) => Promise<boolean>;
}

function FieldRow({ s, c, field, errors, setErrors, save }: FieldRowProps) {
  const t = s.t;
  const name = `fields.${field.key}`;
  const value = c.fields?.[field.key];
  const id = `cn-field-${c.id}-${field.key}`;
  const missing = field.required && (value === undefined || value === null || (Array.isArray(value) && !value.length));
  const commit = (next: FieldValue | null) => void save({ fields: { [field.key]: next } }, name);
  const invalid = (message: string) => setErrors({ ...errors, [name]: message });
  return (
    <>
      <label for={id} class={missing ? 'is-missing' : undefined} title={field.key}>
        {field.label}
        {field.required && (
          <abbr class="cn-required" title={t('required')} data-testid="cn-prop-required">
            *
          </abbr>
        )}
      </label>
      <div class="cn-prop-field" data-testid="cn-prop-field" data-key={field.key} data-type={field.type}>
        {/* Another conversation starts afresh; a new stored value of this one replaces the draft unless it is being edited. */}
        <FieldInput key={c.id} id={id} s={s} field={field} value={value} invalid={!!errors[name]} commit={commit} onLocalError={invalid} />
        <FieldError errors={errors} name={name} />
      </div>
    </>
  );
}

interface InputProps {
  id: string;
  s: Store;
  field: CustomField;
  value: FieldValue | undefined;
  invalid: boolean;
  commit: (value: FieldValue | null) => void;
  onLocalError: (message: string) => void;
}

function FieldInput({ id, s, field, value, invalid, commit, onLocalError }: InputProps) {
  const t = s.t;
  const stored = value === undefined || value === null ? '' : Array.isArray(value) ? value.join(', ') : String(value);
  const [draft, setDraft] = useState(stored);
  // A stored value arriving (the answer to a save, or someone else's change) replaces the draft
  // only when the draft is clean: as last stored, or what was last sent. What is typed after
  // pressing Enter is never overwritten by that Enter's answer.
  const synced = useRef(stored);
  const sent = useRef<string | null>(null);
  useEffect(() => {
    if (stored === synced.current) return;
    const clean = draft === synced.current || (sent.current !== null && draft.trim() === sent.current);
    synced.current = stored;
    sent.current = null;
    if (clean) setDraft(stored);
  }, [stored]);
  const common = { id, 'data-testid': 'cn-prop-field-input', 'aria-invalid': invalid ? true : undefined, 'aria-required': field.required || undefined };

  if (field.type === 'select') {
    return (
      <select {...common} value={stored} onChange={(e) => commit((e.currentTarget as HTMLSelectElement).value || null)}>
        <option value="">—</option>
        {(field.options || []).map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
        {stored && !(field.options || []).includes(stored) && <option value={stored}>{stored}</option>}
      </select>
    );
  }
  if (field.type === 'multiselect') {
    const chosen = Array.isArray(value) ? value : [];
    return (
      <div class="cn-multi" id={id} data-testid="cn-prop-field-input" role="group" aria-label={field.label}>
        {(field.options || []).map((option) => (
          <label key={option} class="cn-chip-check">
            <input
              type="checkbox"
              data-testid="cn-prop-field-option"
              data-option={option}
              checked={chosen.includes(option)}
              onChange={(e) => {
                const on = (e.currentTarget as HTMLInputElement).checked;
                const next = on ? [...chosen, option] : chosen.filter((other) => other !== option);
                commit(next.length ? next : null);
              }}
            />
            <span>{option}</span>
          </label>
        ))}
      </div>
    );
  }
  if (field.type === 'date') {
    return <input type="date" {...common} value={stored} onChange={(e) => commit((e.currentTarget as HTMLInputElement).value || null)} />;
  }
  const save = () => {
    const text = draft.trim();
    if (text === stored) return;
    sent.current = text;
    if (!text) return commit(null);
    if (field.type === 'number') {
      const number = Number(text.replace(',', '.').replace(/\s/g, ''));
      if (!Number.isFinite(number)) return onLocalError(t('numberExpected'));
      return commit(number);
    }
    commit(text);
  };
  return (
    <input
      type="text"
      {...common}
      inputMode={field.type === 'number' ? 'decimal' : undefined}
      value={draft}
      onInput={(e) => setDraft((e.currentTarget as HTMLInputElement).value)}
      onBlur={save}
      onKeyDown={(event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          save();
        } else if (event.key === 'Escape') {
          setDraft(stored);
        }
      }}
    />
  );
}

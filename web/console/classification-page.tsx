/**
 * The admin's classification pages: the category tree (add, rename, move under another
 * parent, reorder, archive) at /console/categories, and the custom fields of conversations
 * (add; change label, options, required, order; archive — key and type stay as created) at
 * /console/fields. Refusals show by the field the server names.
 */
import { useEffect, useState } from 'preact/hooks';
import type { FieldErrors } from './host';
import type { Store } from './store';
import { treeOrder, type FieldForm } from './taxonomy';
import { FIELD_TYPES, type Category, type CustomField, type FieldType } from './types';
import { SettingsSubNav } from './subnav';
import { FieldError } from './ui';

/** The tree is at most this deep (the server refuses deeper). */
const MAX_DEPTH = 5;

// ---- categories ---------------------------------------------------------------------------

/** The categories a category may move under: not itself, nothing below it, not too deep. */
function parentChoices(categories: readonly Category[], moving: Category | null): { category: Category; depth: number }[] {
  const below = new Set<number>();
  if (moving) {
    below.add(moving.id);
    let grew = true;
    while (grew) {
      grew = false;
      for (const category of categories) {
        if (category.parent_id !== null && below.has(category.parent_id) && !below.has(category.id)) {
          below.add(category.id);
          grew = true;
        }
      }
    }
  }
  // How deep the moving subtree goes under its own root.
  const height = (id: number): number => 1 + Math.max(0, ...categories.filter((c) => c.parent_id === id).map((c) => height(c.id)));
  const needed = moving ? height(moving.id) : 1;
  return treeOrder(categories).filter(({ category, depth }) => !below.has(category.id) && depth + 1 + needed <= MAX_DEPTH);
}

export function CategoriesPage({ s }: { s: Store }) {
  const t = s.t;
  const taxonomy = s.taxonomy;
  const nodes = treeOrder(taxonomy.categories);
  return (
    <main class="cn-admin cn-page-categories">
      <SettingsSubNav s={s} />
      <section class="cn-panel" data-testid="cn-categories">
        <h2>{t('categoriesTitle')}</h2>
        <p class="cn-muted cn-small">{t('categoriesHelp')}</p>
        {taxonomy.error && <p class="cn-error">{t('loadFailed', { message: taxonomy.error })}</p>}
        {!taxonomy.categoriesLoaded && !taxonomy.error && <p class="cn-muted">{t('loading')}</p>}
        {taxonomy.categoriesLoaded && !nodes.length && <p class="cn-muted">{t('categoriesNone')}</p>}
        <ul class="cn-tree">
          {nodes.map(({ category, depth }) => (
            <CategoryRow key={category.id} s={s} category={category} depth={depth} />
          ))}
        </ul>
      </section>
      <section class="cn-panel cn-panel-form" data-testid="cn-category-new">
        <h2>{t('categoryNew')}</h2>
        <CategoryForm s={s} />
      </section>
    </main>
  );
}

function CategoryForm({ s }: { s: Store }) {
  const t = s.t;
  const [name, setName] = useState('');
  const [parent, setParent] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!name.trim()) return setErrors({ name: t('nameRequired') });
    setBusy(true);
    const parentId = parent ? Number(parent) : null;
    const siblings = s.taxonomy.categories.filter((c) => c.parent_id === parentId);
    const position = siblings.reduce((max, c) => Math.max(max, c.position + 1), 0);
    const result = await s.taxonomy.saveCategory({ name, parent_id: parentId, position: Math.min(position, 10_000), is_active: true });
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) {
      s.showToast(t('categorySaved', { name: name.trim() }), 'info');
      setName('');
    }
  };
  return (
    <form class="cn-form" onSubmit={submit} noValidate data-testid="cn-category-form">
      <label>
        <span>{t('name')}</span>
        <input
          type="text"
          data-testid="cn-category-name"
          maxLength={100}
          value={name}
          aria-invalid={errors.name ? true : undefined}
          onInput={(e) => {
            setName((e.currentTarget as HTMLInputElement).value);
            setErrors({});
          }}
        />
        <FieldError errors={errors} name="name" />
      </label>
      <label>
        <span>{t('categoryParent')}</span>
        <select data-testid="cn-category-parent" value={parent} onChange={(e) => setParent((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">{t('categoryTopLevel')}</option>
          {parentChoices(s.taxonomy.categories, null).map(({ category }) => (
            <option key={category.id} value={category.id}>
              {s.taxonomy.categoryPath(category.id)}
            </option>
          ))}
        </select>
        <FieldError errors={errors} name="parent_id" />
      </label>
      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-category-create" disabled={busy}>
          {busy ? t('saving') : t('categoryCreate')}
        </button>
      </div>
    </form>
  );
}

function CategoryRow({ s, category, depth }: { s: Store; category: Category; depth: number }) {
  const t = s.t;
  const [name, setName] = useState(category.name);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => setName(category.name), [category.name]);
  const siblings = s.taxonomy.categories.filter((other) => other.parent_id === category.parent_id);
  const ordered = treeOrder(s.taxonomy.categories).filter(({ category: other }) => other.parent_id === category.parent_id);
  const index = ordered.findIndex(({ category: other }) => other.id === category.id);

  const save = async (change: Partial<Category>) => {
    if (busy) return;
    const next = { name: category.name, parent_id: category.parent_id, position: category.position, is_active: category.is_active, ...change };
    if (!next.name.trim()) return setErrors({ name: t('nameRequired') });
    setBusy(true);
    setErrors(await s.taxonomy.saveCategory(next, category.id));
    setBusy(false);
  };
  const rename = () => name.trim() !== category.name && void save({ name });

  return (
    <li
      class={`cn-tree-node${category.is_active ? '' : ' is-archived'}`}
      style={{ paddingLeft: `${depth * 22}px` }}
      data-testid="cn-category"
      data-id={category.id}
      data-name={category.name}
      data-parent-id={category.parent_id ?? ''}
      data-active={category.is_active ? 'true' : 'false'}
    >
      <div class="cn-tree-row">
        <span class="cn-tree-branch" aria-hidden="true">{depth ? '└' : ''}</span>
        <input
          type="text"
          class="cn-team-title"
          data-testid="cn-category-rename"
          aria-label={t('name')}
          maxLength={100}
          value={name}
          disabled={busy}
          aria-invalid={errors.name ? true : undefined}
          onInput={(e) => {
            setName((e.currentTarget as HTMLInputElement).value);
            setErrors({});
          }}
          onBlur={rename}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              rename();
            } else if (event.key === 'Escape') setName(category.name);
          }}
        />
        {!category.is_active && <span class="cn-badge">{t('archived')}</span>}
        <span class="cn-tree-tools">
          <select
            data-testid="cn-category-move"
            aria-label={t('categoryMoveUnder')}
            title={t('categoryMoveUnder')}
            value={category.parent_id ?? ''}
            disabled={busy}
            onChange={(e) => {
              const value = (e.currentTarget as HTMLSelectElement).value;
              const parentId = value ? Number(value) : null;
              const position = s.taxonomy.categories.filter((c) => c.parent_id === parentId).reduce((max, c) => Math.max(max, c.position + 1), 0);
              void save({ parent_id: parentId, position: Math.min(position, 10_000) });
            }}
          >
            <option value="">{t('categoryTopLevel')}</option>
            {parentChoices(s.taxonomy.categories, category).map(({ category: parent }) => (
              <option key={parent.id} value={parent.id}>
                {s.taxonomy.categoryPath(parent.id)}
              </option>
            ))}
          </select>
          <button type="button" class="cn-icon-btn cn-icon-btn-light" data-testid="cn-category-up" aria-label={t('moveUp')} title={t('moveUp')} disabled={busy || index <= 0} onClick={() => void s.taxonomy.moveCategory(category, -1)}>
            ↑
          </button>
          <button
            type="button"
            class="cn-icon-btn cn-icon-btn-light"
            data-testid="cn-category-down"
            aria-label={t('moveDown')}
            title={t('moveDown')}
            disabled={busy || index < 0 || index >= siblings.length - 1}
            onClick={() => void s.taxonomy.moveCategory(category, 1)}
          >
            ↓
          </button>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-category-archive" disabled={busy} onClick={() => void save({ is_active: !category.is_active })}>
            {category.is_active ? t('archive') : t('restore')}
          </button>
        </span>
      </div>
      <FieldError errors={errors} name="name" />
      <FieldError errors={errors} name="parent_id" />
      <FieldError errors={errors} name="form" />
    </li>
  );
}

// ---- custom fields ------------------------------------------------------------------------

const hasOptions = (type: FieldType) => type === 'select' || type === 'multiselect';
/** Options are typed one per line. */
const optionLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

export function FieldsPage({ s }: { s: Store }) {
  const t = s.t;
  const taxonomy = s.taxonomy;
  return (
    <main class="cn-admin cn-page-fields">
      <SettingsSubNav s={s} />
      <section class="cn-panel" data-testid="cn-fields">
        <h2>{t('fieldsTitle')}</h2>
        <p class="cn-muted cn-small">{t('fieldsHelp')}</p>
        {taxonomy.error && <p class="cn-error">{t('loadFailed', { message: taxonomy.error })}</p>}
        {!taxonomy.fieldsLoaded && !taxonomy.error && <p class="cn-muted">{t('loading')}</p>}
        {taxonomy.fieldsLoaded && !taxonomy.fields.length && <p class="cn-muted">{t('fieldsNone')}</p>}
        <ul class="cn-team-cards">
          {taxonomy.fields.map((field, index) => (
            <FieldCard key={field.id} s={s} field={field} first={index === 0} last={index === taxonomy.fields.length - 1} />
          ))}
        </ul>
      </section>
      <section class="cn-panel cn-panel-form" data-testid="cn-field-new">
        <h2>{t('fieldNew')}</h2>
        <NewFieldForm s={s} />
      </section>
    </main>
  );
}

function NewFieldForm({ s }: { s: Store }) {
  const t = s.t;
  const [key, setKey] = useState('');
  const [label, setLabel] = useState('');
  const [type, setType] = useState<FieldType>('text');
  const [options, setOptions] = useState('');
  const [required, setRequired] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const local: FieldErrors = {};
    if (!/^[a-z][a-z0-9_]{0,49}$/.test(key.trim())) local.key = t('fieldKeyRule');
    if (!label.trim()) local.label = t('nameRequired');
    if (hasOptions(type) && !optionLines(options).length) local.options = t('fieldOptionsNeeded');
    if (Object.keys(local).length) return setErrors(local);
    setBusy(true);
    const position = s.taxonomy.fields.reduce((max, field) => Math.max(max, field.position + 1), 0);
    const form: FieldForm = { key: key.trim(), label, type, options: hasOptions(type) ? optionLines(options) : null, required, position: Math.min(position, 10_000), is_active: true };
    const result = await s.taxonomy.saveField(form);
    setBusy(false);
    setErrors(result);
    if (!Object.keys(result).length) {
      s.showToast(t('fieldSaved', { name: label.trim() }), 'info');
      setKey('');
      setLabel('');
      setOptions('');
      setRequired(false);
    }
  };
  const clear = (name: string) => errors[name] && setErrors({ ...errors, [name]: '' });
  return (
    <form class="cn-form" onSubmit={submit} noValidate data-testid="cn-field-form">
      <label>
        <span>{t('fieldLabel')}</span>
        <input
          type="text"
          data-testid="cn-field-label"
          maxLength={100}
          value={label}
          aria-invalid={errors.label ? true : undefined}
          onInput={(e) => {
            const value = (e.currentTarget as HTMLInputElement).value;
            setLabel(value);
            clear('label');
          }}
        />
        <FieldError errors={errors} name="label" />
      </label>
      <label>
        <span>{t('fieldKey')}</span>
        <input
          type="text"
          class="cn-mono"
          data-testid="cn-field-key"
          maxLength={50}
          value={key}
          placeholder="order_no"
          aria-invalid={errors.key ? true : undefined}
          onInput={(e) => {
            setKey((e.currentTarget as HTMLInputElement).value);
            clear('key');
          }}
        />
        <small class="cn-muted">{t('fieldKeyHint')}</small>
        <FieldError errors={errors} name="key" />
      </label>
      <label>
        <span>{t('fieldType')}</span>
        <select data-testid="cn-field-type" value={type} onChange={(e) => setType((e.currentTarget as HTMLSelectElement).value as FieldType)}>
          {FIELD_TYPES.map((kind) => (
            <option key={kind} value={kind}>
              {t(`fieldType_${kind}`)}
            </option>
          ))}
        </select>
        <FieldError errors={errors} name="type" />
      </label>
      {hasOptions(type) && (
        <label>
          <span>{t('fieldOptions')}</span>
          <textarea
            data-testid="cn-field-options"
            rows={4}
            value={options}
            aria-invalid={errors.options ? true : undefined}
            onInput={(e) => {
              setOptions((e.currentTarget as HTMLTextAreaElement).value);
              clear('options');
            }}
          />
          <small class="cn-muted">{t('fieldOptionsHint')}</small>
          <FieldError errors={errors} name="options" />
        </label>
      )}
      <label class="cn-check">
        <input type="checkbox" data-testid="cn-field-required" checked={required} onChange={(e) => setRequired((e.currentTarget as HTMLInputElement).checked)} />
        <span>{t('fieldRequired')}</span>
      </label>
      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-field-create" disabled={busy}>
          {busy ? t('saving') : t('fieldCreate')}
        </button>
      </div>
    </form>
  );
}

function FieldCard({ s, field, first, last }: { s: Store; field: CustomField; first: boolean; last: boolean }) {
  const t = s.t;
  const [label, setLabel] = useState(field.label);
  const [options, setOptions] = useState((field.options || []).join('\n'));
  const [required, setRequired] = useState(field.required);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  // What is saved (here or by another admin) replaces the card's inputs.
  useEffect(() => {
    setLabel(field.label);
    setOptions((field.options || []).join('\n'));
    setRequired(field.required);
  }, [field]);
  const dirty = label.trim() !== field.label || required !== field.required || (hasOptions(field.type) && optionLines(options).join('\n') !== (field.options || []).join('\n'));

  const save = async (change: Partial<FieldForm> = {}) => {
    if (busy) return;
    const local: FieldErrors = {};
    if (!label.trim()) local.label = t('nameRequired');
    if (hasOptions(field.type) && !optionLines(options).length) local.options = t('fieldOptionsNeeded');
    if (Object.keys(local).length) return setErrors(local);
    setBusy(true);
    const { id, ...stored } = field;
    setErrors(await s.taxonomy.saveField({ ...stored, label, required, options: hasOptions(field.type) ? optionLines(options) : null, ...change }, id));
    setBusy(false);
  };

  return (
    <li class={`cn-team-card cn-field-card${field.is_active ? '' : ' is-archived'}`} data-testid="cn-field" data-key={field.key} data-type={field.type} data-active={field.is_active ? 'true' : 'false'}>
      <div class="cn-team-card-head">
        <input
          type="text"
          class="cn-team-title"
          data-testid="cn-field-rename"
          aria-label={t('fieldLabel')}
          maxLength={100}
          value={label}
          aria-invalid={errors.label ? true : undefined}
          onInput={(e) => {
            setLabel((e.currentTarget as HTMLInputElement).value);
            setErrors({});
          }}
        />
        <code class="cn-mono" title={t('fieldKeyFixed')}>
          {field.key}
        </code>
        <span class="cn-badge">{t(`fieldType_${field.type}`)}</span>
        {!field.is_active && <span class="cn-badge">{t('archived')}</span>}
        <span class="cn-inline cn-tree-tools">
          <button type="button" class="cn-icon-btn cn-icon-btn-light" data-testid="cn-field-up" aria-label={t('moveUp')} title={t('moveUp')} disabled={busy || first} onClick={() => void s.taxonomy.moveField(field, -1)}>
            ↑
          </button>
          <button type="button" class="cn-icon-btn cn-icon-btn-light" data-testid="cn-field-down" aria-label={t('moveDown')} title={t('moveDown')} disabled={busy || last} onClick={() => void s.taxonomy.moveField(field, 1)}>
            ↓
          </button>
          <button type="button" class="cn-btn cn-btn-small cn-btn-primary" data-testid="cn-field-save" disabled={busy || !dirty} onClick={() => void save()}>
            {t('save')}
          </button>
          <button type="button" class="cn-btn cn-btn-small" data-testid="cn-field-archive" disabled={busy} onClick={() => void save({ is_active: !field.is_active })}>
            {field.is_active ? t('archive') : t('restore')}
          </button>
        </span>
      </div>
      <FieldError errors={errors} name="label" />
      {hasOptions(field.type) && (
        <label class="cn-field-options">
          <span class="cn-label">{t('fieldOptions')}</span>
          <textarea data-testid="cn-field-edit-options" rows={3} value={options} aria-invalid={errors.options ? true : undefined} onInput={(e) => setOptions((e.currentTarget as HTMLTextAreaElement).value)} />
          <FieldError errors={errors} name="options" />
        </label>
      )}
      <label class="cn-check">
        <input type="checkbox" data-testid="cn-field-edit-required" checked={required} onChange={(e) => setRequired((e.currentTarget as HTMLInputElement).checked)} />
        <span>{t('fieldRequired')}</span>
      </label>
      <FieldError errors={errors} name="type" />
      <FieldError errors={errors} name="form" />
    </li>
  );
}

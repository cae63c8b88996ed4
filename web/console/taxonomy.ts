/**
 * How the account classifies conversations (docs/protocol.md, `/categories`, `/custom-fields`,
 * `/tags`): the category tree, the custom fields and the tags in use. Every agent reads them
 * (the sidebar's properties, the list's filters); admins edit categories and fields. There are
 * no events for them: they are read when the console connects and after each edit here.
 */
import { ApiError, get, post, put } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import type { Category, CustomField, FieldType } from './types';

export interface CategoryForm {
  name: string;
  parent_id: number | null;
  position: number;
  is_active: boolean;
}

export interface FieldForm {
  key: string;
  label: string;
  type: FieldType;
  options: string[] | null;
  required: boolean;
  position: number;
  is_active: boolean;
}

const CATEGORY_FIELDS = ['name', 'parent_id', 'position', 'is_active'] as const;
const FIELD_FIELDS = ['key', 'label', 'type', 'options', 'required', 'position', 'is_active'] as const;

/** A category's tree, for pickers: each node after its parent, siblings by position then name. */
export function treeOrder(categories: readonly Category[]): { category: Category; depth: number }[] {
  const children = new Map<number | null, Category[]>();
  const ids = new Set(categories.map((c) => c.id));
  for (const category of categories) {
    const parent = category.parent_id !== null && ids.has(category.parent_id) ? category.parent_id : null;
    const list = children.get(parent) || [];
    list.push(category);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.position - b.position || a.name.localeCompare(b.name) || a.id - b.id);
  const out: { category: Category; depth: number }[] = [];
  const seen = new Set<number>();
  const walk = (parent: number | null, depth: number) => {
    for (const category of children.get(parent) || []) {
      if (seen.has(category.id)) continue;
      seen.add(category.id);
      out.push({ category, depth });
      walk(category.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** "Payments › Refunds": the server's path when it gave one, else made from the tree. */
export function categoryPath(categories: readonly Category[], id: number | null | undefined): string {
  if (id === null || id === undefined) return '';
  const byId = new Map(categories.map((c) => [c.id, c]));
  const found = byId.get(id);
  if (!found) return '';
  if (found.path) return found.path;
  const names: string[] = [];
  const seen = new Set<number>();
  for (let node: Category | undefined = found; node && !seen.has(node.id); node = node.parent_id !== null ? byId.get(node.parent_id) : undefined) {
    seen.add(node.id);
    names.unshift(node.name);
  }
  return names.join(' › ');
}

export class Taxonomy {
  categories: Category[] = [];
  categoriesLoaded = false;
  fields: CustomField[] = [];
  fieldsLoaded = false;
  /** The account's tags by use, for suggestions; read when first wanted. */
  tags: { tag: string; count: number }[] = [];
  error: string | null = null;
  private serial = 0;
  private tagsRead = 0;
  private readAt = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.categories = [];
    this.categoriesLoaded = false;
    this.fields = [];
    this.fieldsLoaded = false;
    this.tags = [];
    this.tagsRead = 0;
    this.error = null;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.readAt = Date.now();
    this.error = null;
    try {
      const [categories, fields] = await Promise.all([
        get<{ categories: Category[] }>('/api/v1/categories'),
        get<{ fields: CustomField[] }>('/api/v1/custom-fields'),
      ]);
      if (serial !== this.serial) return;
      this.categories = categories.categories;
      this.fields = [...fields.fields].sort((a, b) => a.position - b.position || a.id - b.id);
      this.categoriesLoaded = this.fieldsLoaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    }
    this.host.emit();
  }

  /**
   * Reads the tree and fields again if the last read is over 30 s old: an admin may have
   * changed them since (there are no events for them). Called where they are about to be used.
   */
  refresh(): void {
    if (Date.now() - this.readAt > 30_000) void this.load();
  }

  /** Tag suggestions, read at most once every 30 s (they change with every conversation). */
  async loadTags(): Promise<void> {
    if (Date.now() - this.tagsRead < 30_000) return;
    this.tagsRead = Date.now();
    try {
      this.tags = (await get<{ tags: { tag: string; count: number }[] }>('/api/v1/tags')).tags;
      this.host.emit();
    } catch {
      this.tagsRead = 0; // suggestions only: tried again next time
    }
  }

  /** The tree loaded so far, or null before it is (a category filter then asks the server). */
  loadedCategories(): readonly Category[] | null {
    return this.categoriesLoaded ? this.categories : null;
  }

  categoryPath(id: number | null | undefined): string {
    return categoryPath(this.categories, id);
  }

  field(key: string): CustomField | undefined {
    return this.fields.find((field) => field.key === key);
  }

  /** Admin: creates (no `id`) or changes a category; errors by field, empty when saved. */
  async saveCategory(form: CategoryForm, id?: number): Promise<FieldErrors> {
    try {
      const body = { ...form, name: form.name.trim() };
      if (id === undefined) await post('/api/v1/categories', body);
      else await put(`/api/v1/categories/${id}`, body);
      await this.load();
      return {};
    } catch (error) {
      return fieldErrors(error, this.host, CATEGORY_FIELDS);
    } finally {
      this.host.emit();
    }
  }

  /**
   * Admin: moves a category one place up or down among its siblings. Positions are made
   * 0, 1, 2 … in the new order, so equal positions (the default) still move.
   */
  async moveCategory(category: Category, delta: -1 | 1): Promise<void> {
    const siblings = treeOrder(this.categories)
      .map((node) => node.category)
      .filter((other) => other.parent_id === category.parent_id);
    const index = siblings.findIndex((other) => other.id === category.id);
    const target = index + delta;
    if (index < 0 || target < 0 || target >= siblings.length) return;
    [siblings[index], siblings[target]] = [siblings[target], siblings[index]];
    try {
      for (const [position, sibling] of siblings.entries()) {
        if (sibling.position === position) continue;
        await put(`/api/v1/categories/${sibling.id}`, { name: sibling.name, parent_id: sibling.parent_id, position, is_active: sibling.is_active });
      }
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
    }
    await this.load();
  }

  /** Admin: creates (no `id`) or changes a custom field (its key and type stay). */
  async saveField(form: FieldForm, id?: number): Promise<FieldErrors> {
    try {
      const body = { ...form, label: form.label.trim(), key: form.key.trim() };
      if (id === undefined) await post('/api/v1/custom-fields', body);
      else await put(`/api/v1/custom-fields/${id}`, body);
      await this.load();
      return {};
    } catch (error) {
      return fieldErrors(error, this.host, FIELD_FIELDS);
    } finally {
      this.host.emit();
    }
  }

  /** Admin: moves a field one place up or down (positions renumbered as for categories). */
  async moveField(field: CustomField, delta: -1 | 1): Promise<void> {
    const ordered = [...this.fields];
    const index = ordered.findIndex((other) => other.id === field.id);
    const target = index + delta;
    if (index < 0 || target < 0 || target >= ordered.length) return;
    [ordered[index], ordered[target]] = [ordered[target], ordered[index]];
    try {
      for (const [position, other] of ordered.entries()) {
        if (other.position === position) continue;
        const { id, ...form } = other;
        await put(`/api/v1/custom-fields/${id}`, { ...form, position });
      }
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
    }
    await this.load();
  }
}

/**
 * Saved views (docs/protocol.md, `/api/v1/views`): named filters of the inbox list, the agent's
 * own and those a supervisor or admin shared with everyone.
 */
import { ApiError, del, get, post } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import type { InboxFilter, SavedView } from './types';

export class SavedViews {
  list: SavedView[] = [];
  loaded = false;
  error: string | null = null;
  private serial = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.list = [];
    this.loaded = false;
    this.error = null;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    try {
      const data = await get<{ views: SavedView[] }>('/api/v1/views');
      if (serial !== this.serial) return;
      this.list = data.views;
      this.loaded = true;
      this.error = null;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    }
    this.host.emit();
  }

  /** Sharing is for supervisors and admins; so is deleting a shared view. */
  mayShare(): boolean {
    return this.host.me?.role === 'supervisor' || this.host.me?.role === 'admin';
  }

  mayDelete(view: SavedView): boolean {
    return !view.shared || this.mayShare();
  }

  /** Saves the filters under a name; resolves to the new view, or to errors by field. */
  async create(name: string, filters: InboxFilter, shared: boolean): Promise<SavedView | FieldErrors> {
    try {
      const position = this.list.reduce((max, view) => Math.max(max, view.position + 1), 0);
      const data = await post<{ view: SavedView }>('/api/v1/views', { name: name.trim(), filters, shared, position: Math.min(position, 10_000) });
      this.list = [...this.list.filter((view) => view.id !== data.view.id), data.view];
      this.host.showToast(this.host.t('viewSaved', { name: data.view.name }), 'info');
      return data.view;
    } catch (error) {
      return fieldErrors(error, this.host, ['name', 'shared', 'filters']);
    } finally {
      this.host.emit();
    }
  }

  async remove(view: SavedView): Promise<boolean> {
    try {
      await del(`/api/v1/views/${view.id}`);
      this.list = this.list.filter((other) => other.id !== view.id);
      return true;
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
      return false;
    } finally {
      this.host.emit();
    }
  }
}

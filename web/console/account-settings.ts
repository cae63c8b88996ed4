/**
 * The account's general settings (admin; docs/protocol.md, `GET/PUT /api/v1/account/settings`):
 * minutes without input before a console sets its agent away, after how many days a resolved
 * conversation closes for good, and what may be uploaded — the size limit and the kinds of file.
 */
import { get, put } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import { FILE_KINDS, type AccountSettings } from './types';

export const ACCOUNT_FIELDS = ['auto_away_minutes', 'close_after_days', 'files', 'files.max_mb', 'files.kinds'] as const;

export const DEFAULT_ACCOUNT_SETTINGS: AccountSettings = { auto_away_minutes: 10, close_after_days: 7, files: { max_mb: 10, kinds: [...FILE_KINDS] } };

export class AccountSettingsStore {
  settings: AccountSettings | null = null;
  error: string | null = null;

  constructor(
    private readonly host: Host,
    /** The stored auto-away minutes, for this console's own idle timer. */
    private readonly onAutoAway: (minutes: number) => void,
  ) {}

  reset(): void {
    this.settings = null;
    this.error = null;
  }

  async load(): Promise<void> {
    this.error = null;
    try {
      const data = await get<{ settings: AccountSettings }>('/api/v1/account/settings');
      this.settings = data.settings;
    } catch (error) {
      this.error = this.host.errorText(error);
    }
    this.host.emit();
  }

  async save(settings: AccountSettings): Promise<FieldErrors> {
    try {
      const data = await put<{ settings: AccountSettings }>('/api/v1/account/settings', settings);
      this.settings = data.settings;
      this.onAutoAway(data.settings.auto_away_minutes);
      this.host.showToast(this.host.t('settingsSaved'), 'info');
      return {};
    } catch (error) {
      return fieldErrors(error, this.host, ACCOUNT_FIELDS);
    } finally {
      this.host.emit();
    }
  }
}

/**
 * The admin's settings (docs/protocol.md, "Inbox" and the account's SMTP): each website
 * inbox's site settings, replaced as a whole on save, and where the account's e-mail goes.
 */
import { ApiError, get, patch, post, put } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import type { Inbox, InvitationStats, SiteSettings, Smtp } from './types';

/** The fields of the site form, as the server names them under `settings.`. */
export const SITE_FIELDS = [
  'name',
  'title',
  'greeting',
  'color',
  'position',
  'language',
  'prechat',
  'prechat.name',
  'prechat.email',
  'prechat.phone',
  'offline_text',
  'callback',
  'transcript',
  'offline_when_no_agents',
  'hours',
  'hours.timezone',
  'hours.weekly',
  'hours.weekly.mon',
  'hours.weekly.tue',
  'hours.weekly.wed',
  'hours.weekly.thu',
  'hours.weekly.fri',
  'hours.weekly.sat',
  'hours.weekly.sun',
  'hours.holidays',
  'logo_url',
  'size',
  'sounds',
  'typing_preview',
  'invitation_text',
  'track_visitors',
] as const;

const CONDITION_FIELDS = ['time_on_page', 'time_on_site', 'url', 'pages_viewed', 'visit_number', 'referrer', 'utm', 'countries', 'only_when_online'];

/** Field names a refused save may name, for `fieldErrors` (without the `settings.` prefix). */
export function invitationFields(count: number): string[] {
  const names = ['invitations'];
  for (let i = 0; i < count; i++) {
    const base = `invitations.${i}`;
    names.push(base, `${base}.id`, `${base}.text`, `${base}.enabled`, `${base}.frequency`, `${base}.conditions`);
    for (const field of CONDITION_FIELDS) names.push(`${base}.conditions.${field}`);
  }
  return names;
}

export const SMTP_FIELDS = ['host', 'port', 'security', 'username', 'password', 'from_email', 'from_name'] as const;

export const EMPTY_SMTP: Smtp = { host: '', port: 587, security: 'starttls', username: '', password: '', from_email: '', from_name: '' };

export class SiteSettingsStore {
  inboxes: Inbox[] = [];
  inboxesLoaded = false;
  smtp: Smtp | null = null;
  error: string | null = null;
  /** Inbox id → invitation rule id → how often it was shown and accepted. */
  readonly invitationStats = new Map<number, Map<string, InvitationStats>>();

  constructor(private readonly host: Host) {}

  reset(): void {
    this.inboxes = [];
    this.inboxesLoaded = false;
    this.smtp = null;
    this.error = null;
    this.invitationStats.clear();
  }

  async load(): Promise<void> {
    this.error = null;
    const [inboxes, smtp] = await Promise.allSettled([
      get<{ inboxes: Inbox[] }>('/api/v1/inboxes'),
      get<{ smtp?: Smtp } & Partial<Smtp>>('/api/v1/account/smtp'),
    ]);
    if (inboxes.status === 'fulfilled') {
      this.inboxes = inboxes.value.inboxes;
      this.inboxesLoaded = true;
      for (const inbox of this.inboxes) if (inbox.channel === 'web') void this.loadInvitationStats(inbox.id);
    } else this.error = this.host.errorText(inboxes.reason);
    if (smtp.status === 'fulfilled') this.smtp = { ...EMPTY_SMTP, ...(smtp.value.smtp ?? (smtp.value as Smtp)), password: '' };
    else this.error ??= this.host.errorText(smtp.reason);
    this.host.emit();
  }

  /** How often each invitation rule of a site was shown and accepted (no events: read on demand). */
  async loadInvitationStats(inboxId: number): Promise<void> {
    try {
      const data = await get<{ invitations: InvitationStats[] }>(`/api/v1/inboxes/${inboxId}/invitations`);
      this.invitationStats.set(inboxId, new Map(data.invitations.map((item) => [item.id, item])));
    } catch {
      /* the rules show without their numbers */
    }
    this.host.emit();
  }

  /** Saves an inbox's name and its settings as a whole; errors by field (names without `settings.`). */
  async saveInbox(inbox: Inbox, name: string, settings: SiteSettings): Promise<FieldErrors> {
    try {
      const data = await patch<{ inbox: Inbox }>(`/api/v1/inboxes/${inbox.id}`, { name: name.trim(), settings });
      this.inboxes = this.inboxes.map((other) => (other.id === data.inbox.id ? data.inbox : other));
      this.host.showToast(this.host.t('settingsSaved'), 'info');
      void this.loadInvitationStats(inbox.id);
      return {};
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_field' && error.field === 'name') return fieldErrors(error, this.host, ['name']);
      return fieldErrors(error, this.host, [...SITE_FIELDS, ...invitationFields(settings.invitations?.length ?? 0)], 'settings.');
    } finally {
      this.host.emit();
    }
  }

  /** Saves the SMTP settings; an empty password keeps the stored one (it is never read back). */
  async saveSmtp(smtp: Smtp): Promise<FieldErrors> {
    const body: Record<string, unknown> = { ...smtp, host: smtp.host.trim(), from_email: smtp.from_email.trim(), port: Number(smtp.port) };
    delete body.password_set;
    if (!smtp.password) delete body.password;
    try {
      const data = await put<{ smtp?: Smtp } & Partial<Smtp>>('/api/v1/account/smtp', body);
      this.smtp = { ...EMPTY_SMTP, ...(data?.smtp ?? (data as Smtp) ?? smtp), password: '' };
      this.host.showToast(this.host.t('settingsSaved'), 'info');
      return {};
    } catch (error) {
      return fieldErrors(error, this.host, SMTP_FIELDS, 'smtp.');
    } finally {
      this.host.emit();
    }
  }

  /**
   * Sends a test e-mail to `to` through the stored settings. Resolves to null when it went,
   * else to the errors by field (`form` carries the mail server's reason).
   */
  async testSmtp(to: string): Promise<FieldErrors | null> {
    try {
      await post<{ ok: boolean }>('/api/v1/account/smtp/test', { to: to.trim() });
      return null;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'smtp_failed') return { form: error.message || error.code };
      return fieldErrors(error, this.host, ['to']);
    }
  }
}

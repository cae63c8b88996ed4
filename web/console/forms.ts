/**
 * The account's inboxes, and its web forms among them (docs/protocol.md, "Web forms"): an
 * admin creates a form (`POST /api/v1/forms`, an inbox of channel `form`) and edits its
 * fields (`PATCH /api/v1/inboxes/{id}`, the settings replaced as a whole); a conversation that
 * came from a form shows what was submitted, exactly as sent (`/submission`). The inbox list
 * also feeds the routing rules' and SLA policies' pickers.
 */
import { ApiError, get, patch, post } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import type { Inbox } from './types';

export const FORM_FIELD_TYPES = ['text', 'textarea', 'email', 'phone', 'number', 'date', 'select', 'checkbox'] as const;
export type FormFieldType = (typeof FORM_FIELD_TYPES)[number];
/** Where a value goes besides the message text; `custom.<key>` fills a custom field. */
export const FORM_TARGETS = ['name', 'email', 'phone', 'message', 'subject'] as const;

export interface FormField {
  key: string;
  label: string;
  type: FormFieldType;
  required: boolean;
  options: string[] | null;
  maps_to: string | null;
}

export interface FormSettings {
  title: string;
  description: string;
  fields: FormField[];
  attachments: boolean;
  success_text: string;
  language: 'ru' | 'en';
  color: string;
}

export interface FormInbox extends Omit<Inbox, 'settings'> {
  settings: FormSettings;
  /** Only in the answer to creating it: the form's page. */
  url?: string;
}

export interface Submission {
  values: Record<string, unknown>;
  fields: FormField[];
  /** The files sent with the form (also on the conversation's first message). */
  files: { id: number; name: string; url: string }[];
  created_at: string;
}

export function defaultFormSettings(lang: 'ru' | 'en'): FormSettings {
  const ru = lang === 'ru';
  return {
    title: ru ? 'Напишите нам' : 'Write to us',
    description: '',
    fields: [
      { key: 'name', label: ru ? 'Имя' : 'Name', type: 'text', required: true, options: null, maps_to: 'name' },
      { key: 'email', label: 'E-mail', type: 'email', required: true, options: null, maps_to: 'email' },
      { key: 'message', label: ru ? 'Сообщение' : 'Message', type: 'textarea', required: true, options: null, maps_to: 'message' },
    ],
    attachments: true,
    success_text: ru ? 'Спасибо! Мы ответим вам по e-mail.' : 'Thank you! We will answer by e-mail.',
    language: lang,
    color: '#2563eb',
  };
}

/** Names a refusal may give, without `settings.` in front; `fields.<i>` for a row of the fields editor. */
export function formFields(count: number): string[] {
  const names = ['name', 'title', 'description', 'fields', 'attachments', 'success_text', 'language', 'color'];
  for (let index = 0; index < count; index++) names.push(`fields.${index}`);
  return names;
}

type SubmissionState = { submission: Submission | null; error: string | null; loading: boolean };

export class WebForms {
  /** Every inbox of the account (any channel). */
  inboxes: Inbox[] = [];
  loaded = false;
  error: string | null = null;
  /** Form pages as the server told them when a form was created (else made from our origin). */
  private readonly urls = new Map<number, string>();
  private readonly submissions = new Map<number, SubmissionState>();
  private serial = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.inboxes = [];
    this.loaded = false;
    this.error = null;
    this.urls.clear();
    this.submissions.clear();
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.error = null;
    try {
      const data = await get<{ inboxes: Inbox[] }>('/api/v1/inboxes');
      if (serial !== this.serial) return;
      this.inboxes = data.inboxes;
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    }
    this.host.emit();
  }

  /** Reads the inboxes unless they are here already. */
  ensure(): void {
    if (!this.loaded) void this.load();
  }

  get forms(): FormInbox[] {
    return this.inboxes.filter((inbox) => inbox.channel === 'form') as unknown as FormInbox[];
  }

  /** The form's own page (`?embed=1` for an iframe). */
  pageUrl(form: FormInbox): string {
    return this.urls.get(form.id) || `${location.origin}/forms/${form.site_key}`;
  }

  /** Admin: creates (no `id`) or changes a form; resolves to the saved form, or errors by field. */
  async save(name: string, settings: FormSettings, id?: number): Promise<{ form: FormInbox } | { errors: FieldErrors }> {
    const known = formFields(settings.fields.length);
    try {
      const data =
        id === undefined
          ? await post<{ inbox: FormInbox }>('/api/v1/forms', { name: name.trim(), settings })
          : await patch<{ inbox: FormInbox }>(`/api/v1/inboxes/${id}`, { name: name.trim(), settings });
      if (data.inbox.url) this.urls.set(data.inbox.id, data.inbox.url);
      await this.load();
      return { form: data.inbox };
    } catch (error) {
      const errors = fieldErrors(error, this.host, ['name', ...known.map((field) => `settings.${field}`)]);
      return { errors: Object.fromEntries(Object.entries(errors).map(([field, text]) => [field.replace(/^settings\./, ''), text])) };
    } finally {
      this.host.emit();
    }
  }

  // ---- a conversation's original submission --------------------------------------------

  submission(conversationId: number): SubmissionState | undefined {
    return this.submissions.get(conversationId);
  }

  /** Reads it once: a submission never changes. */
  async loadSubmission(conversationId: number): Promise<void> {
    const known = this.submissions.get(conversationId);
    if (known && (known.loading || known.submission)) return;
    const state: SubmissionState = { submission: null, error: null, loading: true };
    this.submissions.set(conversationId, state);
    this.host.emit();
    try {
      state.submission = (await get<{ submission: Submission }>(`/api/v1/conversations/${conversationId}/submission`)).submission;
    } catch (error) {
      state.error = error instanceof ApiError && error.code === 'not_found' ? null : this.host.errorText(error);
    } finally {
      state.loading = false;
      this.host.emit();
    }
  }
}

/**
 * What the console's sub-domain modules (presence, viewing, canned responses, bans, settings)
 * need of the store. They get the store as a `Host`, so none of them imports store.ts and
 * each can be read on its own.
 */
import { ApiError } from './api';
import type { Translate } from './i18n';
import type { Agent } from './types';

export interface Host {
  readonly t: Translate;
  readonly me: Agent | null;
  emit(): void;
  showToast(text: string, kind?: 'error' | 'info'): void;
  errorText(error: unknown): string;
}

/** Form errors by field name; `form` is for what belongs to no field. */
export type FieldErrors = Record<string, string>;

/**
 * Places a refused save next to its field. The server names the field as a dotted path
 * (`settings.hours.weekly.mon.0.1`); the error goes to the longest of `known` that the path
 * starts with, after dropping `strip` from its front, else to the form.
 */
export function fieldErrors(error: unknown, host: Host, known: readonly string[], strip = ''): FieldErrors {
  if (error instanceof ApiError && error.code === 'invalid_field') {
    let path = error.field || '';
    if (strip && path.startsWith(strip)) path = path.slice(strip.length);
    const text = host.t('fieldInvalid', { message: error.message.replace(/^[\w.-]+:\s*/, '') });
    let best = '';
    for (const name of known) {
      if ((path === name || path.startsWith(`${name}.`)) && name.length > best.length) best = name;
    }
    return { [best || 'form']: text };
  }
  return { form: host.errorText(error) };
}

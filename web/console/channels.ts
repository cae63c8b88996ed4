/**
 * The account's channel inboxes (docs/protocol.md, "Channels"): what can be connected and the
 * settings each channel takes (`GET /api/v1/channels`, a JSON Schema per channel), the inboxes
 * connected (`GET /api/v1/inboxes`, those of a channel with an adapter), connecting one
 * (`POST /api/v1/inboxes`: the server asks the channel first and stores nothing when it
 * refuses), changing its name, settings or switch (`PATCH`) and testing it (`POST …/test`).
 *
 * Only the channels page uses this, and it loads with the page: there are no events for
 * inboxes, so the page reads them when it opens and after each change.
 */
import { ApiError, get, patch, post } from './api';
import type { Host } from './host';
import type { Inbox } from './types';

/** The order the channels are offered in; others follow by name. */
const ORDER = ['telegram', 'whatsapp', 'viber', 'vk', 'email', 'phone'];

/** Shown instead of a stored secret; sent back unchanged, the server keeps the secret. */
export const MASK = '••••••••';

/** The part of JSON Schema a channel's settings use (pydantic's output). */
export interface JsonSchema {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

export interface ChannelSpec {
  channel: string;
  secret_fields: string[];
  settings_schema: JsonSchema;
}

export interface ChannelInbox extends Omit<Inbox, 'settings'> {
  settings: Record<string, unknown>;
}

export type SettingType = 'string' | 'integer' | 'number' | 'boolean';

/** One setting as the form shows it. */
export interface SettingField {
  key: string;
  type: SettingType;
  title: string;
  description: string;
  /** Choices (a select) when the schema lists them. */
  choices: string[] | null;
  default: unknown;
  required: boolean;
  secret: boolean;
  nullable: boolean;
  pattern: string | null;
  /** Inclusive bounds of a number (an exclusive minimum of an integer is one more). */
  minimum: number | null;
  maximum: number | null;
  minLength: number | null;
  maxLength: number | null;
  /**
   * Technical and rightly preset (an API's address or version, a port): optional, with a
   * default that has a format or is a number, not a choice and not a secret. The form folds
   * these away so the few settings that matter stand out.
   */
  advanced: boolean;
}

/** A form's values by setting key: text for inputs and selects, a boolean for checkboxes. */
export type SettingValues = Record<string, string | boolean>;

/** What a refusal names: `name`, `settings.<key>`, `settings` (the channel said no), or `form`. */
export type ChannelErrors = Record<string, string>;

export type TestResult = { ok: boolean; detail: string };

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let node = schema;
  for (let depth = 0; depth < 5; depth++) {
    if (node.$ref) {
      const name = node.$ref.replace(/^#\/\$defs\//, '');
      const { $ref, ...rest } = node;
      node = { ...(root.$defs?.[name] || {}), ...rest };
    } else if (node.allOf?.length === 1) {
      const { allOf, ...rest } = node;
      node = { ...allOf[0], ...rest };
    } else break;
  }
  return node;
}

/** The settings of a channel, from its schema, in the schema's order. */
export function settingFields(spec: ChannelSpec): SettingField[] {
  const root = spec.settings_schema || {};
  const required = new Set(root.required || []);
  const secrets = new Set(spec.secret_fields);
  return Object.entries(root.properties || {}).map(([key, raw]) => {
    let node = resolve(raw, root);
    let nullable = false;
    // Optional[X] is anyOf [X, null]: the form shows X; empty means null.
    if (node.anyOf?.length) {
      const variants = node.anyOf.map((variant) => resolve(variant, root));
      nullable = variants.some((variant) => variant.type === 'null');
      const { anyOf, ...rest } = node;
      node = { ...(variants.find((variant) => variant.type !== 'null') || {}), ...rest };
    }
    const choices = node.enum ? node.enum.map(String) : node.const !== undefined ? [String(node.const)] : null;
    const type: SettingType = node.type === 'boolean' || node.type === 'integer' || node.type === 'number' ? node.type : 'string';
    const secret = secrets.has(key) || node.format === 'password';
    const isRequired = required.has(key);
    const hasDefault = node.default !== undefined && node.default !== null && node.default !== '';
    const step = type === 'integer' ? 1 : 0;
    const minimum = node.minimum ?? (node.exclusiveMinimum !== undefined ? node.exclusiveMinimum + step : null);
    const maximum = node.maximum ?? (node.exclusiveMaximum !== undefined ? node.exclusiveMaximum - step : null);
    return {
      key,
      type,
      title: node.title || key,
      description: node.description || '',
      choices,
      default: node.default,
      required: isRequired,
      secret,
      nullable,
      pattern: node.pattern ?? null,
      minimum,
      maximum,
      minLength: node.minLength ?? null,
      maxLength: node.maxLength ?? null,
      advanced: !isRequired && hasDefault && !choices && !secret && (type === 'integer' || type === 'number' || !!node.pattern),
    };
  });
}

/** The form's starting values: the inbox's settings when editing one, else the defaults. */
export function initialValues(fields: SettingField[], stored?: Record<string, unknown>): SettingValues {
  const values: SettingValues = {};
  for (const field of fields) {
    const value = stored && field.key in stored ? stored[field.key] : field.default;
    if (field.type === 'boolean') values[field.key] = value === true;
    else values[field.key] = value === undefined || value === null ? (field.choices && field.required ? field.choices[0] : '') : String(value);
  }
  return values;
}

/**
 * Checks what can be checked here, so a typing slip is explained in the admin's words rather
 * than the server's. `patternText` gives a setting's own explanation of its format.
 */
export function checkValues(
  fields: SettingField[],
  values: SettingValues,
  words: {
    required: string;
    badFormat: string;
    number: string;
    /** Out of bounds; either bound may be missing. */
    range: (min: number | null, max: number | null) => string;
    tooShort: (min: number) => string;
    patternText: (key: string) => string | undefined;
  },
): ChannelErrors {
  const errors: ChannelErrors = {};
  for (const field of fields) {
    const value = values[field.key];
    if (typeof value !== 'string') continue;
    const text = value.trim();
    const name = `settings.${field.key}`;
    if (!text) {
      if (field.required && !(field.secret && value === MASK)) errors[name] = words.required;
      continue;
    }
    if (field.secret && value === MASK) continue;
    if (field.type === 'integer' || field.type === 'number') {
      const number = Number(text);
      if (!Number.isFinite(number) || (field.type === 'integer' && !Number.isInteger(number))) errors[name] = words.number;
      else if ((field.minimum !== null && number < field.minimum) || (field.maximum !== null && number > field.maximum)) {
        errors[name] = words.range(field.minimum, field.maximum);
      }
      continue;
    }
    if (field.minLength !== null && text.length < field.minLength) {
      errors[name] = words.tooShort(field.minLength);
      continue;
    }
    if (field.pattern) {
      let pattern: RegExp | null = null;
      try {
        pattern = new RegExp(field.pattern);
      } catch {
        /* a pattern JavaScript cannot read: the server judges it */
      }
      if (pattern && !pattern.test(text)) errors[name] = words.patternText(field.key) || words.badFormat;
    }
  }
  return errors;
}

/** The settings object to send: numbers as numbers, an empty optional setting left out (its default applies). */
export function settingsOut(fields: SettingField[], values: SettingValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[field.key];
    if (typeof value === 'boolean') {
      out[field.key] = value;
      continue;
    }
    // A secret's mask goes back as it is (the server keeps the stored one); other text is trimmed.
    const text = field.secret ? value : value.trim();
    if (!text) {
      if (field.nullable) out[field.key] = null;
      else if (field.required || field.secret || (field.type === 'string' && field.default === '')) out[field.key] = text;
      continue;
    }
    out[field.key] = field.type === 'integer' || field.type === 'number' ? Number(text) : text;
  }
  return out;
}

/**
 * A refusal by the field it names. A pydantic message repeats the field's path in front
 * ("settings.token: String should…"): that part goes, the rest is the server's words.
 */
export function refusal(error: unknown, host: Host): ChannelErrors {
  if (error instanceof ApiError && error.code === 'invalid_field') {
    const field = error.field || 'form';
    const prefix = `${field}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    const name = field === 'name' || field === 'settings' || field.startsWith('settings.') ? field.split('.').slice(0, 2).join('.') : 'form';
    return { [name]: message };
  }
  return { form: host.errorText(error) };
}

export class ChannelInboxes {
  specs: ChannelSpec[] = [];
  inboxes: ChannelInbox[] = [];
  loaded = false;
  error: string | null = null;
  /** Keys of requests in flight (`test:3`, `active:3`), to disable their buttons. */
  readonly busy = new Set<string>();
  /** The state each on/off switch was turned to while the server is being told (shown at once). */
  readonly switching = new Map<number, boolean>();
  /** The last "test connection" of each inbox, while the page is open. */
  readonly tests = new Map<number, TestResult>();
  private serial = 0;

  constructor(private readonly host: Host) {}

  spec(channel: string): ChannelSpec | undefined {
    return this.specs.find((spec) => spec.channel === channel);
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.error = null;
    this.host.emit();
    try {
      const [channels, inboxes] = await Promise.all([get<{ channels: ChannelSpec[] }>('/api/v1/channels'), get<{ inboxes: ChannelInbox[] }>('/api/v1/inboxes')]);
      if (serial !== this.serial) return;
      // Messengers first, as most accounts connect one of those.
      const rank = (channel: string) => (ORDER.indexOf(channel) + 1 || ORDER.length + 1);
      this.specs = [...channels.channels].sort((a, b) => rank(a.channel) - rank(b.channel) || a.channel.localeCompare(b.channel));
      const known = new Set(this.specs.map((spec) => spec.channel));
      this.inboxes = inboxes.inboxes.filter((inbox) => known.has(inbox.channel));
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    } finally {
      this.host.emit();
    }
  }

  private upsert(inbox: ChannelInbox): void {
    const index = this.inboxes.findIndex((item) => item.id === inbox.id);
    if (index < 0) this.inboxes = [...this.inboxes, inbox];
    else this.inboxes = this.inboxes.map((item) => (item.id === inbox.id ? { ...item, ...inbox } : item));
  }

  /** Connects a channel; resolves to the new inbox and what the channel said ("@shop_bot"), or the refusal by field. */
  async create(channel: string, name: string, settings: Record<string, unknown>): Promise<{ inbox: ChannelInbox; detail: string } | { errors: ChannelErrors }> {
    try {
      const data = await post<{ inbox: ChannelInbox; detail: string }>('/api/v1/inboxes', { channel, name: name.trim(), settings });
      this.upsert(data.inbox);
      return data;
    } catch (error) {
      return { errors: refusal(error, this.host) };
    } finally {
      this.host.emit();
    }
  }

  /** Changes the name and, when given, the settings (which the channel checks again). */
  async update(inbox: ChannelInbox, change: { name?: string; settings?: Record<string, unknown> }): Promise<{ inbox: ChannelInbox } | { errors: ChannelErrors }> {
    try {
      const data = await patch<{ inbox: ChannelInbox }>(`/api/v1/inboxes/${inbox.id}`, change);
      this.upsert(data.inbox);
      this.tests.delete(inbox.id);
      return data;
    } catch (error) {
      return { errors: refusal(error, this.host) };
    } finally {
      this.host.emit();
    }
  }

  /** The on/off switch; resolves to whether it was done. */
  async setActive(inbox: ChannelInbox, active: boolean): Promise<boolean> {
    const key = `active:${inbox.id}`;
    if (this.busy.has(key)) return false;
    this.busy.add(key);
    this.switching.set(inbox.id, active);
    this.host.emit();
    try {
      const data = await patch<{ inbox: ChannelInbox }>(`/api/v1/inboxes/${inbox.id}`, { is_active: active });
      this.upsert(data.inbox);
      return true;
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
      return false;
    } finally {
      this.busy.delete(key);
      this.switching.delete(inbox.id);
      this.host.emit();
    }
  }

  /** "Test connection": the channel is asked again; the outcome is also the inbox's status. */
  async test(inbox: ChannelInbox): Promise<void> {
    const key = `test:${inbox.id}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.tests.delete(inbox.id);
    this.host.emit();
    try {
      const data = await post<{ ok: boolean; detail: string; inbox: ChannelInbox }>(`/api/v1/inboxes/${inbox.id}/test`, {});
      this.upsert(data.inbox);
      this.tests.set(inbox.id, { ok: data.ok, detail: data.detail || '' });
    } catch (error) {
      this.tests.set(inbox.id, { ok: false, detail: this.host.errorText(error) });
    } finally {
      this.busy.delete(key);
      this.host.emit();
    }
  }
}

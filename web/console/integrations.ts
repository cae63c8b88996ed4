/**
 * Settings › Integrations (docs/protocol.md, "Integrations"): API tokens that act as an agent
 * (`/api/v1/api-tokens`: the secret is in the answer that makes one, and only there) and
 * outgoing webhooks (`/api/v1/webhooks`: the events to send, the switch, the signing secret, a
 * test `ping` and the log of delivery attempts).
 *
 * Only the integrations page uses this, and it loads with the page: there are no events for
 * tokens or webhooks, so the page reads them when it opens and after each change; an open
 * delivery log is read again every few seconds.
 */
import { ApiError, del, get, patch, post } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';

export interface ApiToken {
  id: number;
  name: string;
  /** The secret's first characters (`hl_AbC12…`), to tell tokens apart. */
  prefix: string;
  agent: { id: number; name: string | null };
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface Webhook {
  id: number;
  url: string;
  events: string[];
  is_active: boolean;
  /** The HMAC key of `X-Helpline-Signature`. */
  secret: string;
  created_at: string;
  updated_at: string;
}

export interface Delivery {
  id: number;
  event_id: number;
  event_type: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number | null;
  ok: boolean;
  created_at: string;
}

export interface PingResult {
  ok: boolean;
  status_code: number | null;
  error: string | null;
}

export interface DeliveryLog {
  rows: Delivery[];
  loaded: boolean;
  loading: boolean;
  error: string | null;
}

/** The event types a webhook may take, should the server not list them. */
const EVENT_TYPES = ['conversation.created', 'conversation.updated', 'message.created', 'message.delivery', 'contact.updated', 'sla.breached'];

export class Integrations {
  tokens: ApiToken[] = [];
  webhooks: Webhook[] = [];
  eventTypes: string[] = EVENT_TYPES;
  loaded = false;
  error: string | null = null;
  /** Keys of requests in flight (`revoke:3`, `ping:2`, `active:2`, `delete:2`), to disable their buttons. */
  readonly busy = new Set<string>();
  /** The state each on/off switch was turned to while the server is being told (shown at once). */
  readonly switching = new Map<number, boolean>();
  /** The last "Send a test" of each webhook, while the page is open. */
  readonly pings = new Map<number, PingResult>();
  readonly logs = new Map<number, DeliveryLog>();
  private serial = 0;

  constructor(private readonly host: Host) {}

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.error = null;
    this.host.emit();
    try {
      const [tokens, webhooks] = await Promise.all([
        get<{ tokens: ApiToken[] }>('/api/v1/api-tokens'),
        get<{ webhooks: Webhook[]; event_types?: string[] }>('/api/v1/webhooks'),
      ]);
      if (serial !== this.serial) return;
      this.tokens = tokens.tokens;
      this.webhooks = webhooks.webhooks;
      if (webhooks.event_types?.length) this.eventTypes = webhooks.event_types;
      this.loaded = true;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    } finally {
      this.host.emit();
    }
  }

  // ---- API tokens ------------------------------------------------------------------------

  /** Makes a token; resolves to it with its secret (shown once), or the refusal by field. */
  async createToken(name: string, agentId: number | null): Promise<{ token: ApiToken; secret: string } | { errors: FieldErrors }> {
    try {
      const body: Record<string, unknown> = { name: name.trim() };
      if (agentId !== null) body.agent_id = agentId;
      const data = await post<{ token: ApiToken; secret: string }>('/api/v1/api-tokens', body);
      this.tokens = [...this.tokens.filter((token) => token.id !== data.token.id), data.token];
      return data;
    } catch (error) {
      return { errors: fieldErrors(error, this.host, ['name', 'agent_id']) };
    } finally {
      this.host.emit();
    }
  }

  /** Revokes a token for good; the list is read again for its `revoked_at`. */
  async revokeToken(token: ApiToken): Promise<boolean> {
    const key = `revoke:${token.id}`;
    if (this.busy.has(key)) return false;
    this.busy.add(key);
    this.host.emit();
    try {
      await del(`/api/v1/api-tokens/${token.id}`);
      const data = await get<{ tokens: ApiToken[] }>('/api/v1/api-tokens');
      this.tokens = data.tokens;
      return true;
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
      return false;
    } finally {
      this.busy.delete(key);
      this.host.emit();
    }
  }

  // ---- webhooks --------------------------------------------------------------------------

  private upsert(webhook: Webhook): void {
    const index = this.webhooks.findIndex((item) => item.id === webhook.id);
    if (index < 0) this.webhooks = [...this.webhooks, webhook];
    else this.webhooks = this.webhooks.map((item) => (item.id === webhook.id ? webhook : item));
  }

  async createWebhook(url: string, events: string[]): Promise<{ webhook: Webhook } | { errors: FieldErrors }> {
    try {
      const data = await post<{ webhook: Webhook }>('/api/v1/webhooks', { url: url.trim(), events });
      this.upsert(data.webhook);
      return data;
    } catch (error) {
      return { errors: fieldErrors(error, this.host, ['url', 'events']) };
    } finally {
      this.host.emit();
    }
  }

  async updateWebhook(webhook: Webhook, change: { url?: string; events?: string[] }): Promise<{ webhook: Webhook } | { errors: FieldErrors }> {
    try {
      const data = await patch<{ webhook: Webhook }>(`/api/v1/webhooks/${webhook.id}`, change);
      this.upsert(data.webhook);
      this.pings.delete(webhook.id);
      return data;
    } catch (error) {
      return { errors: fieldErrors(error, this.host, ['url', 'events']) };
    } finally {
      this.host.emit();
    }
  }

  /** The on/off switch; resolves to whether it was done. */
  async setActive(webhook: Webhook, active: boolean): Promise<boolean> {
    if (this.busy.has(`active:${webhook.id}`)) return false;
    this.switching.set(webhook.id, active);
    try {
      return await this.act(`active:${webhook.id}`, async () => {
        const data = await patch<{ webhook: Webhook }>(`/api/v1/webhooks/${webhook.id}`, { is_active: active });
        this.upsert(data.webhook);
      });
    } finally {
      this.switching.delete(webhook.id);
      this.host.emit();
    }
  }

  async deleteWebhook(webhook: Webhook): Promise<boolean> {
    return this.act(`delete:${webhook.id}`, async () => {
      await del(`/api/v1/webhooks/${webhook.id}`);
      this.webhooks = this.webhooks.filter((item) => item.id !== webhook.id);
      this.pings.delete(webhook.id);
      this.logs.delete(webhook.id);
    });
  }

  /** "Send a test": a signed `ping` now; the receiver's answer (or why there was none) is kept to show. */
  async ping(webhook: Webhook): Promise<void> {
    const key = `ping:${webhook.id}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.pings.delete(webhook.id);
    this.host.emit();
    try {
      this.pings.set(webhook.id, await post<PingResult>(`/api/v1/webhooks/${webhook.id}/ping`, {}));
    } catch (error) {
      this.pings.set(webhook.id, { ok: false, status_code: null, error: this.host.errorText(error) });
    } finally {
      this.busy.delete(key);
      this.host.emit();
    }
  }

  /** Reads a webhook's delivery log (the last 100 attempts, newest first). */
  async loadLog(webhookId: number): Promise<void> {
    const log = this.logs.get(webhookId) || { rows: [], loaded: false, loading: false, error: null };
    if (log.loading) return;
    this.logs.set(webhookId, { ...log, loading: true });
    this.host.emit();
    try {
      const data = await get<{ deliveries: Delivery[] }>(`/api/v1/webhooks/${webhookId}/deliveries`);
      if (this.logs.has(webhookId)) this.logs.set(webhookId, { rows: data.deliveries, loaded: true, loading: false, error: null });
    } catch (error) {
      if (this.logs.has(webhookId)) this.logs.set(webhookId, { ...log, loading: false, error: this.host.errorText(error) });
    } finally {
      this.host.emit();
    }
  }

  closeLog(webhookId: number): void {
    this.logs.delete(webhookId);
    this.host.emit();
  }

  private async act(key: string, request: () => Promise<void>): Promise<boolean> {
    if (this.busy.has(key)) return false;
    this.busy.add(key);
    this.host.emit();
    try {
      await request();
      return true;
    } catch (error) {
      this.host.showToast(this.host.errorText(error));
      return false;
    } finally {
      this.busy.delete(key);
      this.host.emit();
    }
  }
}

/**
 * A small reconnecting WebSocket client for the Helpline realtime protocol
 * (docs/protocol.md, "Realtime rules"). Shared by the widget and the console, so it has no
 * framework and no dependencies: every byte counts against the widget's 40 KB budget.
 *
 * What it does for the caller:
 * - sends `hello` (built by a callback at that moment, so cursors are current) on every open;
 * - pings every 25 s and treats 60 s of silence as a dead connection;
 * - reconnects with jittered exponential back-off, reset by `welcome` or a 30 s-old connection;
 * - keeps an outbox of frames that create something (keyed by `client_id`), resends them in
 *   order after every `welcome` and forgets one when its `ack` or `error` arrives;
 * - maps the server's close codes to actions (4001/4002 → onAuthError, 4003 → stop, 4029 → 60 s).
 */

import type { SocketLike } from './polling';

export type Frame = { type: string; [field: string]: any };
export type OutboxFrame = Frame & { client_id: string };
/** connecting: socket opening or waiting for `welcome`; open: `welcome` received; offline: closed. */
export type ConnState = 'connecting' | 'open' | 'offline';

export interface RealtimeOptions {
  /** Builds the `hello` frame each time a socket opens. */
  hello(): Frame;
  /**
   * Every frame the server sends. For an `ack` or `error` that answers an outbox frame,
   * `sent` is that frame (already removed from the outbox, unless the error is `rate_limited`).
   */
  onFrame?(frame: Frame, sent?: OutboxFrame): void;
  onState?(state: ConnState): void;
  /**
   * 4001 (invalid token / not authenticated) or 4002 (token expired). The widget creates a
   * new session here; the console goes to its login and calls close(). The client reconnects
   * once the returned promise settles, unless close() was called meanwhile.
   */
  onAuthError?(code: number): unknown;
  /** The client gave up for good: 4003 (unknown site / origin not allowed). */
  onStop?(code: number, reason: string): void;
  /** Frames restored from storage (e.g. localStorage after a reload), sent after `welcome`. */
  outbox?: OutboxFrame[];
  /** Called with the whole outbox whenever it changes, so the caller can persist it. */
  onOutbox?(frames: OutboxFrame[]): void;
  /**
   * A transport for networks that block WebSockets (shared/polling.ts). Used after two
   * opens in a row failed to reach `welcome`, then every other attempt, so the client keeps
   * trying the WebSocket too and returns to it when it works again.
   */
  fallback?(): SocketLike;
}

export interface RealtimeClient {
  readonly state: ConnState;
  /** Sends a frame now if the connection is open (after `welcome`); returns whether it did. Not retried. */
  send(frame: Frame): boolean;
  /** Adds a frame to the outbox and sends it when possible; kept until its ack/error. */
  enqueue(frame: OutboxFrame): void;
  /** Removes a frame from the outbox (it will not be resent); returns whether it was there. */
  drop(clientId: string): boolean;
  /** A copy of the outbox, oldest first. */
  outbox(): OutboxFrame[];
  /** Reconnects now, forgetting the back-off (e.g. the browser came back online). */
  reconnect(): void;
  /** Closes the connection for good. */
  close(): void;
}

const PING_MS = 25_000;
const DEAD_MS = 60_000;
const WELCOME_MS = 20_000; // the server closes at 10 s without hello; we give up waiting at 20 s
const STABLE_MS = 30_000;
const TICK_MS = 5_000;
const FLOOD_MS = 60_000;
const PROBE_MS = 30_000; // on the HTTP fallback, how often to see whether WebSockets work again

/** Back-off before reconnect attempt `attempt` (0-based), in ms: min(30, 0.5·2^n)·U(0.5, 1.5) s. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return Math.min(30, 0.5 * 2 ** attempt) * (0.5 + random()) * 1000;
}

/**
 * A fresh client id: 32 hex characters. Not crypto.randomUUID, which exists only in secure
 * contexts, and the widget also runs on plain-http sites.
 */
export function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let id = '';
  for (const byte of bytes) id += (byte + 256).toString(16).slice(1);
  return id;
}

export function connect(url: string, options: RealtimeOptions): RealtimeClient {
  type Entry = { frame: OutboxFrame; sent: boolean };
  const entries: Entry[] = (options.outbox || []).map((frame) => ({ frame, sent: false }));

  let socket: SocketLike | null = null;
  let failedOpens = 0; // consecutive connections that never got `welcome`
  let onFallback = false;
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  let state: ConnState = 'offline';
  let welcomed = false;
  let stopped = false;
  let attempt = 0;
  let openedAt = 0;
  let heardAt = 0;
  let pingedAt = 0;
  let tickAt = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  // After a `rate_limited` error the outbox drips one frame per retry_after instead of all at
  // once: resending a burst would only be refused again and, repeated, gets us closed (4029).
  let holdUntil = 0;
  let dripMs = 0;
  let dripTimer: ReturnType<typeof setTimeout> | undefined;

  const setState = (next: ConnState) => {
    if (next !== state) options.onState?.((state = next));
  };
  const persist = () => options.onOutbox?.(entries.map((entry) => entry.frame));
  const raw = (frame: Frame) => socket!.send(JSON.stringify(frame));

  function flush() {
    clearTimeout(dripTimer);
    if (!welcomed || stopped) return;
    const wait = holdUntil - Date.now();
    if (wait > 0) {
      dripTimer = setTimeout(flush, wait);
      return;
    }
    for (const entry of entries) {
      if (entry.sent) continue;
      raw(entry.frame);
      entry.sent = true;
      if (dripMs) {
        holdUntil = Date.now() + dripMs;
        dripTimer = setTimeout(flush, dripMs);
        return;
      }
    }
    dripMs = 0; // everything went out: back to normal sending
  }

  function settle(frame: Frame): OutboxFrame | undefined {
    const index = entries.findIndex((entry) => entry.frame.client_id === frame.client_id);
    if (index < 0) return;
    const sent = entries[index].frame;
    if (frame.type === 'error' && frame.code === 'rate_limited') {
      entries[index].sent = false;
      dripMs = Math.max(1, Number(frame.retry_after) || 1) * 1000;
      holdUntil = Date.now() + dripMs;
      // Frames sent after this one were most likely refused too; their errors follow.
      flush();
      return sent;
    }
    entries.splice(index, 1);
    persist();
    return sent;
  }

  function open() {
    clearTimeout(retryTimer);
    if (stopped) return;
    welcomed = false;
    pingedAt = Date.now();
    setState('connecting');
    onFallback = Boolean(options.fallback && failedOpens >= 2 && failedOpens % 2 === 0);
    const ws: SocketLike = (socket = onFallback ? options.fallback!() : (new WebSocket(url) as unknown as SocketLike));
    openedAt = 0;
    heardAt = tickAt = Date.now();
    ws.onopen = () => {
      openedAt = heardAt = Date.now();
      raw(options.hello());
    };
    ws.onmessage = (event) => {
      heardAt = Date.now();
      let frame: Frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      let sent: OutboxFrame | undefined;
      if (frame.type === 'welcome') {
        welcomed = true;
        failedOpens = 0;
        attempt = 0;
        if (onFallback) probeLater();
        holdUntil = 0;
        for (const entry of entries) entry.sent = false; // the server dedups by client_id
        setState('open');
        flush();
      } else if ((frame.type === 'ack' || frame.type === 'error') && frame.client_id) {
        sent = settle(frame);
      }
      options.onFrame?.(frame, sent);
    };
    ws.onclose = (event) => closed(ws, event.code, event.reason);
    // onerror is always followed by onclose, which does the work.
    clearInterval(ticker);
    ticker = setInterval(tick, TICK_MS);
  }

  function tick() {
    const now = Date.now();
    // A late tick means the tab was asleep (background timer throttling): the silence is
    // ours, not the server's, so ping and judge on the next tick instead of killing a live socket.
    const late = now - tickAt > 2 * TICK_MS;
    tickAt = now;
    if (!late && now - heardAt > (welcomed ? DEAD_MS : WELCOME_MS)) {
      kill();
    } else if (welcomed && (late || now - pingedAt >= PING_MS)) {
      // Pings go out on schedule even while other frames flow: `typing` gets no answer, and
      // without `pong`s we could not tell a live connection from a dead one.
      raw({ type: 'ping' });
      pingedAt = now;
    }
  }

  /** Drops the current socket without waiting for the closing handshake, and reconnects. */
  function kill() {
    const ws = socket;
    if (!ws) return;
    try {
      ws.close(4000);
    } catch {
      /* already closing */
    }
    closed(ws, 0, 'dead');
  }

  function closed(ws: SocketLike, code: number, reason: string) {
    if (ws !== socket) return; // a socket we already replaced or killed
    if (!welcomed) failedOpens++;
    ws.onopen = ws.onmessage = ws.onclose = null;
    socket = null;
    welcomed = false;
    clearInterval(ticker);
    clearTimeout(dripTimer);
    setState('offline');
    if (stopped) return;
    if (code === 4003) {
      client.close();
      options.onStop?.(code, reason);
      return;
    }
    if (openedAt && Date.now() - openedAt >= STABLE_MS) attempt = 0;
    const delay = code === 4029 ? FLOOD_MS : backoffDelay(attempt++);
    if (code === 4001 || code === 4002) {
      // Wait for the caller's new credentials; a failing callback must not stop reconnects.
      Promise.resolve()
        .then(() => options.onAuthError?.(code))
        .catch(() => {})
        .then(() => schedule(delay));
    } else {
      schedule(delay);
    }
  }

  /**
   * On the HTTP fallback, try a real WebSocket now and then: the fallback may have been
   * chosen only because the server was down, not because the network blocks WebSockets.
   * When a probe opens, reconnect (over the WebSocket, as `failedOpens` is 0 again).
   */
  function probeLater() {
    clearTimeout(probeTimer);
    probeTimer = setTimeout(() => {
      if (stopped || !onFallback || !welcomed) return;
      const probe = new WebSocket(url);
      probe.onopen = () => {
        probe.onclose = null;
        probe.close(1000);
        if (!stopped && onFallback) client.reconnect();
      };
      probe.onclose = () => probeLater();
    }, PROBE_MS);
  }

  function schedule(delay: number) {
    clearTimeout(retryTimer);
    // reconnect() may have opened a socket meanwhile (e.g. during onAuthError): keep that one.
    if (!stopped) retryTimer = setTimeout(() => socket || open(), delay);
  }

  // Back online after a network drop: try at once rather than after the back-off.
  const online = () => {
    if (!socket) client.reconnect();
  };
  if (typeof addEventListener === 'function') addEventListener('online', online);

  const client: RealtimeClient = {
    get state() {
      return state;
    },
    send(frame) {
      if (!welcomed) return false;
      raw(frame);
      return true;
    },
    enqueue(frame) {
      if (entries.some((entry) => entry.frame.client_id === frame.client_id)) return;
      entries.push({ frame, sent: false });
      persist();
      flush();
    },
    drop(clientId) {
      const index = entries.findIndex((entry) => entry.frame.client_id === clientId);
      if (index < 0) return false;
      entries.splice(index, 1);
      persist();
      return true;
    },
    outbox: () => entries.map((entry) => entry.frame),
    reconnect() {
      if (stopped) return;
      attempt = 0;
      clearTimeout(probeTimer);
      const ws = socket;
      if (ws) {
        ws.onopen = ws.onmessage = ws.onclose = null;
        ws.close();
      }
      open();
    },
    close() {
      stopped = true;
      clearTimeout(retryTimer);
      clearTimeout(probeTimer);
      if (typeof removeEventListener === 'function') removeEventListener('online', online);
      const ws = socket;
      if (ws) {
        ws.close(1000);
        closed(ws, 1000, '');
      }
    },
  };

  open();
  return client;
}

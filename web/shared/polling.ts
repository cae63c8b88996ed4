/**
 * A WebSocket stand-in over plain HTTP, for networks that block WebSockets (docs/protocol.md,
 * "Fallback"). realtime.ts drives it exactly like a socket: `hello` starts a long-poll loop
 * (each poll is a hello over HTTP with the cursors so far; the server answers at once when
 * something was missed, else waits up to 25 s), every other frame is POSTed in order and the
 * answers come back as if the server had sent them.
 */
import type { Frame } from './realtime';

export interface SocketLike {
  onopen: (() => void) | null;
  onmessage: ((event: { data: string }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  send(data: string): void;
  close(code?: number): void;
}

const POLL_WAIT_S = 25;

/** HTTP refusals mapped onto the WebSocket close codes realtime.ts already handles. */
function closeCode(status: number, code: string | undefined): number {
  if (code === 'token_expired') return 4002;
  if (status === 401) return 4001;
  if (code === 'unknown_site' || code === 'chat_unavailable') return 4003;
  return 1006;
}

export function pollingSocket(base: string): SocketLike {
  let hello: Frame | null = null;
  let done = false;
  let welcomed = false;
  let sending: Promise<unknown> = Promise.resolve();
  const cursors: Record<string, number> = {};
  const known: Record<string, string> = {}; // each conversation's state, as last reported

  const sock: SocketLike = { onopen: null, onmessage: null, onclose: null, send, close: (code = 1000) => end(code) };
  setTimeout(() => done || sock.onopen?.(), 0);

  function end(code: number) {
    if (done) return;
    done = true;
    sock.onclose?.({ code, reason: '' });
  }

  async function request(path: string, body: object): Promise<Frame[]> {
    const response = await fetch(`${base}/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) throw closeCode(response.status, payload?.error?.code);
    return payload.frames || [];
  }

  function deliver(frames: Frame[]) {
    for (const frame of frames) {
      if (done) return;
      if (frame.type === 'welcome') {
        for (const conversation of (frame.conversations as Frame[] | undefined) || []) {
          // A later welcome reports conversations' states: a change between polls (resolved,
          // reopened, rated) reaches the client as the `conversation` frame a socket sends.
          const state = JSON.stringify(conversation);
          const key = String(conversation.id);
          if (welcomed && known[key] !== state) sock.onmessage?.({ data: JSON.stringify({ type: 'conversation', conversation }) });
          known[key] = state;
        }
        if (welcomed) continue; // every poll starts with one; realtime.ts wants the first
        welcomed = true;
      }
      if (frame.type === 'message' && frame.message) {
        const key = String(frame.message.conversation_id);
        cursors[key] = Math.max(cursors[key] || 0, frame.message.seq);
      }
      sock.onmessage?.({ data: JSON.stringify(frame) });
    }
  }

  async function loop() {
    let wait = 0; // the first poll answers at once: it carries `welcome`
    while (!done) {
      try {
        deliver(await request('poll', { ...hello, cursors: { ...cursors }, wait }));
        wait = POLL_WAIT_S;
      } catch (code) {
        end(typeof code === 'number' ? code : 1006);
      }
    }
  }

  function send(data: string) {
    if (done) return;
    const frame = JSON.parse(data) as Frame;
    if (frame.type === 'hello') {
      hello = frame;
      Object.assign(cursors, frame.cursors || {});
      loop();
      return;
    }
    // One request at a time keeps frames in the order they were sent, as on a socket.
    sending = sending.then(async () => {
      if (done) return;
      try {
        deliver(await request('frames', { token: hello?.token, frames: [frame] }));
      } catch (code) {
        end(typeof code === 'number' ? code : 1006);
      }
    });
  }

  return sock;
}

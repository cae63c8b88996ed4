/**
 * The console over plain HTTP, for networks that block WebSockets (docs/protocol.md,
 * "Fallback"): a stand-in for the socket that realtime.ts switches to. Events come from the
 * long-poll `GET /api/v1/events`, replies go to `POST .../messages`, typing to
 * `POST .../typing`; the agent does not see the customer typing while on it. Answers are shaped as the socket's frames, so the store cannot tell the
 * difference.
 */
import type { SocketLike } from '../shared/polling';
import { ApiError, api, post } from './api';

const POLL_WAIT_S = 25;
const POLL_TIMEOUT_MS = (POLL_WAIT_S + 15) * 1000;

export function consolePollingSocket(): SocketLike {
  let done = false;
  let sending: Promise<unknown> = Promise.resolve();
  const sock: SocketLike = { onopen: null, onmessage: null, onclose: null, send, close: (code = 1000) => end(code) };
  setTimeout(() => done || sock.onopen?.(), 0);

  const emit = (frame: object) => {
    if (!done) sock.onmessage?.({ data: JSON.stringify(frame) });
  };
  function end(code: number) {
    if (done) return;
    done = true;
    sock.onclose?.({ code, reason: '' });
  }
  const fail = (error: unknown) => end(error instanceof ApiError && error.status === 401 ? 4001 : 1006);

  async function follow(lastEventId: number | null) {
    try {
      const me = await api('GET', '/api/v1/me');
      const head = await api('GET', '/api/v1/events');
      // `fallback` is ours, not the server's: `chat` frames do not come this way, so the
      // operator chat polls its rooms while it is set.
      emit({ type: 'welcome', agent_id: me.agent.id, last_event_id: head.last_event_id, fallback: true });
      let after = lastEventId ?? head.last_event_id;
      let wait = 0;
      while (!done) {
        const page = await api('GET', `/api/v1/events?after=${after}&wait=${wait}`, undefined, AbortSignal.timeout(POLL_TIMEOUT_MS));
        for (const event of page.events) {
          emit(event);
          after = event.id;
        }
        wait = page.events.length ? 0 : POLL_WAIT_S; // after a full page there may be more
      }
    } catch (error) {
      fail(error);
    }
  }

  function send(data: string) {
    if (done) return;
    const frame = JSON.parse(data);
    if (frame.type === 'hello') {
      follow(typeof frame.last_event_id === 'number' ? frame.last_event_id : null);
    } else if (frame.type === 'ping') {
      emit({ type: 'pong' }); // liveness is the long-poll's business: a failed poll ends us
    } else if (frame.type === 'message.send') {
      sending = sending.then(async () => {
        const { client_id, conversation_id, body, kind, file_ids } = frame;
        try {
          const answer = await post(`/api/v1/conversations/${conversation_id}/messages`, { client_id, body, kind, file_ids: file_ids || [] });
          emit({ type: 'ack', client_id, message: answer.message, duplicate: answer.duplicate });
        } catch (error) {
          if (error instanceof ApiError && error.status >= 400 && error.status !== 401) {
            emit({ type: 'error', code: error.code, message: error.message, client_id, field: error.field, retry_after: error.retryAfter });
          } else {
            fail(error);
          }
        }
      });
    } else if (frame.type === 'viewing') {
      // Collision frames live on the socket only; the fallback has no way to carry them.
    } else if (frame.type === 'typing') {
      // A courtesy, not data: a lost one is not retried, and a failure never ends the connection.
      post(`/api/v1/conversations/${frame.conversation_id}/typing`, { active: frame.active }).catch(() => {});
    }
  }

  return sock;
}

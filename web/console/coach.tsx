/**
 * The live coach in the composer (docs/protocol.md, `POST …/coach`): while the agent types a
 * reply, and again when they send it, the server says what the draft would add to the
 * conversation's faults. Advice only: the warnings show above the reply box; Enter on a draft
 * whose warnings were not shown yet shows them first, and the next Enter sends. A coach that
 * fails or is slower than COACH_TIMEOUT_MS never holds a message back: it is sent anyway.
 * Notes and whispers are never coached (the customer does not see them).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api';
import type { Translate } from './i18n';
import { faultDescription, faultLabel } from './quality';
import type { CoachWarning, MessageKind } from './types';

/** A pause in typing this long asks the coach. */
export const COACH_DEBOUNCE_MS = 600;
/** Sending waits at most this long for the coach. */
export const COACH_TIMEOUT_MS = 1500;

/** The coach's warnings for a draft, or null when it failed or took too long. */
export async function askCoach(conversationId: number, draft: string, timeoutMs = COACH_TIMEOUT_MS): Promise<CoachWarning[] | null> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const data = await api<{ warnings: CoachWarning[] }>('POST', `/api/v1/conversations/${conversationId}/coach`, { draft }, abort.signal);
    return Array.isArray(data?.warnings) ? data.warnings : [];
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The draft the coach answered for, and what it said; `shown` once the agent has seen it. */
interface Advice {
  draft: string;
  warnings: CoachWarning[];
}

export interface Coach {
  /** The warnings on screen (for the draft now in the box), if any. */
  warnings: CoachWarning[];
  /** A send is waiting for the coach. */
  checking: boolean;
  /**
   * Called on Enter / Send with the trimmed draft: resolves true when it should go now,
   * false when warnings were just shown instead (the next Enter sends).
   */
  beforeSend(draft: string): Promise<boolean>;
  /** The message went: forget the advice. */
  sent(): void;
}

export function useCoach(conversationId: number, text: string, mode: MessageKind): Coach {
  const [advice, setAdvice] = useState<Advice | null>(null);
  const [checking, setChecking] = useState(false);
  // The latest answer (shown or not) and the request in flight, by draft.
  const answered = useRef<Advice | null>(null);
  const inFlight = useRef<{ draft: string; answer: Promise<CoachWarning[] | null> } | null>(null);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );
  const coached = mode === 'text';
  const draft = text.trim();
  const currentDraft = useRef(draft);
  currentDraft.current = draft;

  const ask = (value: string): Promise<CoachWarning[] | null> => {
    if (inFlight.current?.draft === value) return inFlight.current.answer;
    const answer = askCoach(conversationId, value).then((warnings) => {
      if (inFlight.current?.draft === value) inFlight.current = null;
      if (warnings) answered.current = { draft: value, warnings };
      return warnings;
    });
    inFlight.current = { draft: value, answer };
    return answer;
  };

  // Debounced while typing: the warnings show by themselves when the agent pauses.
  useEffect(() => {
    if (!coached || !draft) return;
    if (answered.current?.draft === draft) {
      if (alive.current) setAdvice(answered.current);
      return;
    }
    const timer = setTimeout(() => {
      void ask(draft).then((warnings) => {
        if (alive.current && warnings && currentDraft.current === draft) setAdvice({ draft, warnings });
      });
    }, COACH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [draft, coached]);

  const visible = coached && advice && advice.draft === draft ? advice.warnings : [];

  return {
    warnings: visible,
    checking,
    async beforeSend(value: string): Promise<boolean> {
      if (!coached || !value) return true;
      // The warnings for exactly this draft are on screen (or the coach found nothing): send.
      if (advice?.draft === value) return true;
      if (answered.current?.draft === value && !answered.current.warnings.length) return true;
      if (answered.current?.draft === value) {
        setAdvice(answered.current);
        return false;
      }
      setChecking(true);
      const warnings = await ask(value);
      if (alive.current) setChecking(false);
      if (!warnings || !warnings.length || !alive.current) return true;
      setAdvice({ draft: value, warnings });
      return false;
    },
    sent() {
      setAdvice(null);
      answered.current = null;
      inFlight.current = null;
    },
  };
}

/** The coach's warnings above the reply box, with "Send anyway". */
export function CoachWarnings({ coach, t, onSendAnyway }: { coach: Coach; t: Translate; onSendAnyway: () => void }) {
  if (!coach.warnings.length) return null;
  return (
    <div class="cn-coach" data-testid="cn-coach" role="status" data-count={coach.warnings.length}>
      <div class="cn-coach-head">
        <b>{t('coachTitle')}</b>
        <span class="cn-muted cn-small">{t('coachHint')}</span>
        <button type="button" class="cn-link cn-coach-send" data-testid="cn-coach-send-anyway" onClick={onSendAnyway}>
          {t('coachSendAnyway')}
        </button>
      </div>
      <ul>
        {coach.warnings.map((warning, index) => (
          <li key={`${warning.fault}-${index}`} data-testid="cn-coach-warning" data-fault={warning.fault} title={faultDescription(warning.fault, t)}>
            <b>{faultLabel(warning.fault, t)}</b>
            {warning.reason ? <span> — {warning.reason}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The review of a conversation on screen: a compact panel with the score and the faults found
 * (each with its reason; a click scrolls to the message that shows it), and the tags on the
 * messages themselves. Supervisors and admins mark a finding the reviewer got wrong; marked
 * ones are struck through and no longer outline their message.
 */
import { useState } from 'preact/hooks';
import { fullTime } from './format';
import type { Translate } from './i18n';
import { faultDescription, faultLabel, scoreLevel } from './quality';
import type { Store } from './store';
import { isSupervisor } from './supervisor';
import type { Conversation, Finding, Review } from './types';

/** Brings the message with `seq` into view and flashes it. */
export function scrollToMessage(root: Element | null, seq: number): void {
  const el = root?.querySelector<HTMLElement>(`[data-testid=cn-message][data-seq='${seq}']`);
  if (!el) return;
  el.scrollIntoView({ block: 'center', behavior: 'smooth' });
  el.classList.remove('is-flash');
  void el.offsetWidth; // restart the animation
  el.classList.add('is-flash');
}

export function ReviewPanel({ s, c, review }: { s: Store; c: Conversation; review: Review }) {
  const t = s.t;
  const [open, setOpen] = useState(true);
  const mayMark = isSupervisor(s.me);
  const level = scoreLevel(review.score);
  const live = review.findings.filter((f) => !f.marked_wrong).length;
  return (
    <section class={`cn-review${open ? ' is-open' : ''}`} data-testid="cn-review" data-score={review.score} data-findings={review.findings.length}>
      <button type="button" class="cn-review-head" aria-expanded={open} data-testid="cn-review-toggle" onClick={() => setOpen(!open)}>
        <span class={`cn-score cn-score-${level}`} data-testid="cn-review-score" title={t('reviewScoreTitle')}>
          {review.score}
        </span>
        <span>
          <b>{t('reviewTitle')}</b>{' '}
          <span class="cn-muted cn-small">
            {review.findings.length ? t('reviewFaultsN', { count: live }) : t('reviewClean')}
            {review.reviewed_at ? ` · ${fullTime(review.reviewed_at, s.lang)}` : ''}
          </span>
        </span>
        <i aria-hidden="true">{open ? '▴' : '▾'}</i>
      </button>
      {open && review.findings.length > 0 && (
        <ul class="cn-review-findings">
          {review.findings.map((finding, index) => (
            <FindingRow key={`${finding.fault}-${finding.seq}-${index}`} s={s} c={c} finding={finding} mayMark={mayMark} />
          ))}
        </ul>
      )}
    </section>
  );
}

function FindingRow({ s, c, finding, mayMark }: { s: Store; c: Conversation; finding: Finding; mayMark: boolean }) {
  const t = s.t;
  const busy = s.reviews.marking.has(`${c.id}:${finding.fault}`);
  const go = () => {
    if (finding.seq !== null) scrollToMessage(document.querySelector('[data-testid=cn-conversation]'), finding.seq);
  };
  return (
    <li
      class={`cn-finding${finding.marked_wrong ? ' is-wrong' : ''}`}
      data-testid="cn-finding"
      data-fault={finding.fault}
      data-seq={finding.seq ?? ''}
      data-wrong={finding.marked_wrong ? 'true' : 'false'}
    >
      <button type="button" class="cn-finding-go" data-testid="cn-finding-go" disabled={finding.seq === null} title={faultDescription(finding.fault, t)} onClick={go}>
        <b class="cn-finding-label">{faultLabel(finding.fault, t)}</b>
        {finding.reason && <span class="cn-finding-reason"> — {finding.reason}</span>}
        {finding.marked_wrong && <span class="cn-sr"> ({t('reviewMarkedWrong')})</span>}
      </button>
      {mayMark && (
        <button
          type="button"
          class="cn-link cn-finding-mark"
          data-testid="cn-finding-mark"
          aria-pressed={finding.marked_wrong}
          disabled={busy}
          title={t(finding.marked_wrong ? 'reviewUnmarkTitle' : 'reviewMarkTitle')}
          onClick={() => void s.reviews.mark(c.id, finding.fault, !finding.marked_wrong)}
        >
          {t(finding.marked_wrong ? 'reviewUnmark' : 'reviewMark')}
        </button>
      )}
    </li>
  );
}

/** The faults a message shows, under its bubble. */
export function MessageFaults({ findings, t }: { findings: Finding[]; t: Translate }) {
  return (
    <div class="cn-msg-faults">
      {findings.map((finding, index) => (
        <span
          key={`${finding.fault}-${index}`}
          class={`cn-msg-fault${finding.marked_wrong ? ' is-wrong' : ''}`}
          data-testid="cn-msg-fault"
          data-fault={finding.fault}
          data-wrong={finding.marked_wrong ? 'true' : 'false'}
          title={finding.reason || faultDescription(finding.fault, t)}
        >
          {faultLabel(finding.fault, t)}
        </span>
      ))}
    </div>
  );
}

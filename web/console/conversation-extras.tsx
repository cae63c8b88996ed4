/**
 * Sidebar blocks of a conversation beyond its properties: the customer's rating (stars and
 * comment) with, on channels without the widget, a link to the rating page to send them; and
 * for a conversation that came from a web form, the form as it was submitted, by its labels.
 */
import { Fragment } from 'preact';
import { useEffect } from 'preact/hooks';
import { fullTime } from './format';
import { CopyButton } from './copy-button';
import type { Store } from './store';
import type { Conversation } from './types';

/** Five stars, `rating` of them filled. */
export function Stars({ rating, label }: { rating: number; label: string }) {
  return (
    <span class="cn-stars" role="img" aria-label={label} title={label} data-testid="cn-stars" data-rating={rating}>
      {[1, 2, 3, 4, 5].map((n) => (
        <i key={n} class={n <= rating ? 'is-on' : undefined} aria-hidden="true">
          ★
        </i>
      ))}
    </span>
  );
}

/** The widget asks for a rating itself; other channels need the link sent to the customer. */
const hasWidget = (c: Conversation) => c.inbox.channel === 'web';

export function RatingBlock({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const rating = c.csat_rating ?? null;
  const state = s.csat.of(c.id);
  useEffect(() => {
    if (rating !== null) void s.csat.load(c.id, rating);
  }, [c.id, rating]);
  if (rating === null && hasWidget(c)) return null;
  const csat = state?.csat && state.csat.rating === rating ? state.csat : null;
  return (
    <section class="cn-side-block" data-testid="cn-csat" data-rating={rating ?? ''}>
      <h4>{t('csatTitle')}</h4>
      {rating !== null ? (
        <>
          <div class="cn-csat-line">
            <Stars rating={rating} label={t('csatStars', { rating })} />
            <span class="cn-muted cn-small">{t('csatOutOf', { rating })}</span>
          </div>
          {csat?.comment && (
            <blockquote class="cn-csat-comment" data-testid="cn-csat-comment">
              {csat.comment}
            </blockquote>
          )}
          {csat && <div class="cn-muted cn-small">{fullTime(csat.created_at, s.lang)}</div>}
        </>
      ) : (
        <p class="cn-muted cn-small">{t('csatNone')}</p>
      )}
      {!hasWidget(c) && <RatingLink s={s} c={c} />}
    </section>
  );
}

function RatingLink({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const link = s.csat.of(c.id)?.link;
  useEffect(() => {
    if (!s.csat.of(c.id)) void s.csat.load(c.id, c.csat_rating ?? null);
  }, [c.id]);
  return (
    <div class="cn-csat-link">
      {link ? <CopyButton s={s} text={link} testid="cn-csat-copy-link" label={t('csatCopyLink')} /> : <span class="cn-muted cn-small">{t('loading')}</span>}
      <small class="cn-muted cn-block">{t('csatLinkHint')}</small>
    </div>
  );
}

export function SubmittedForm({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const state = s.forms.submission(c.id);
  useEffect(() => {
    void s.forms.loadSubmission(c.id);
  }, [c.id]);
  const submission = state?.submission;
  const shown = (value: unknown) => (value === true ? t('yes') : value === false ? t('no') : value === null || value === undefined || value === '' ? '—' : String(value));
  return (
    <section class="cn-side-block" data-testid="cn-submission">
      <h4>{t('submissionTitle')}</h4>
      {state?.error && <p class="cn-error cn-small">{t('loadFailed', { message: state.error })}</p>}
      {!submission && !state?.error && <p class="cn-muted cn-small">{state?.loading === false ? t('submissionNone') : t('loading')}</p>}
      {submission && (
        <>
          <dl class="cn-facts">
            {submission.fields.map((field) => (
              <Fragment key={field.key}>
                <dt>{field.label}</dt>
                <dd data-testid="cn-submission-value" data-key={field.key} class="cn-pre">
                  {shown(submission.values[field.key])}
                </dd>
              </Fragment>
            ))}
          </dl>
          {submission.files.length > 0 && (
            <p class="cn-muted cn-small">
              {t('submissionFiles', { count: submission.files.length })}:{' '}
              {submission.files.map((file, index) => (
                <span key={file.id}>
                  {index > 0 && ', '}
                  <a href={file.url} target="_blank" rel="noopener noreferrer" data-testid="cn-submission-file">
                    {file.name}
                  </a>
                </span>
              ))}
            </p>
          )}
          <p class="cn-muted cn-small">{t('submissionAt', { time: fullTime(submission.created_at, s.lang) })}</p>
        </>
      )}
    </section>
  );
}

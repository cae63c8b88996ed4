/**
 * The rating card at the end of a resolved conversation: five stars (radio buttons, so arrows
 * and Space choose and each has a name), then an optional comment and Send. The state of the
 * card is in csat.ts; only the choice being made lives here.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { MAX_COMMENT, type Card } from './csat';
import { CLOSE_ICON, Icon, STAR_ICON } from './icons';
import type { WidgetChat } from './state';

export function RatingCard({ chat, conversationId, card }: { chat: WidgetChat; conversationId: number; card: Card }) {
  const { t } = chat;
  const [rating, setRating] = useState(card.rating || 0);
  const [hovered, setHovered] = useState(0);
  const [comment, setComment] = useState(card.comment || '');
  const thanks = useRef<HTMLDivElement>(null);
  // Send disappears with the ack: keep a keyboard user's place rather than drop focus to the
  // page's top. Only if focus was lost that way: the visitor may be typing elsewhere by now.
  useEffect(() => {
    if (document.activeElement === document.body) thanks.current?.focus();
  }, [card.state === 'thanks']);

  if (card.state === 'thanks') {
    return (
      <div ref={thanks} class="hl-form hl-done" data-testid="hl-csat-thanks" role="status" tabIndex={-1}>
        {t.csatThanks}
      </div>
    );
  }
  const busy = card.state === 'sending';
  const lit = hovered || rating;
  return (
    <form
      class="hl-form hl-csat"
      data-testid="hl-csat"
      data-state={card.state}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (rating && !busy) chat.rate(conversationId, rating, comment);
      }}
    >
      <button
        type="button"
        class="hl-tool hl-csat-close"
        data-testid="hl-csat-dismiss"
        aria-label={t.dismiss}
        title={t.dismiss}
        onClick={(event) => {
          // The card goes away; the conversation keeps the focus.
          const log = (event.currentTarget as HTMLElement).closest<HTMLElement>('[role=log]');
          chat.dismissRating(conversationId);
          log?.focus();
        }}
      >
        <Icon d={CLOSE_ICON} />
      </button>
      <fieldset disabled={busy} onMouseLeave={() => setHovered(0)}>
        <legend>{t.csatTitle}</legend>
        {t.csatStars.map((name, index) => {
          const stars = index + 1;
          const label = t.csatStar.replace('{n}', String(stars)).replace('{name}', name);
          return (
            <label key={stars} class="hl-star" data-lit={stars <= lit ? 'true' : undefined} title={label} onMouseEnter={() => setHovered(stars)}>
              <input
                type="radio"
                name={`hl-csat-${conversationId}`}
                data-testid="hl-csat-star"
                value={stars}
                aria-label={label}
                checked={stars === rating}
                onChange={() => setRating(stars)}
              />
              <Icon d={STAR_ICON} />
            </label>
          );
        })}
      </fieldset>
      {rating > 0 && (
        <>
          <label class="hl-field">
            <span>
              {t.csatComment} <small>({t.optional})</small>
            </span>
            <textarea
              data-testid="hl-csat-comment"
              rows={2}
              maxLength={MAX_COMMENT}
              placeholder={t.csatHint}
              disabled={busy}
              value={comment}
              onInput={(event) => setComment(event.currentTarget.value)}
            />
          </label>
          {card.error && (
            <p class="hl-error" role="alert" data-testid="hl-csat-error">
              {card.error}
            </p>
          )}
          <button type="submit" class="hl-primary" data-testid="hl-csat-send" aria-disabled={busy ? 'true' : undefined}>
            {busy ? t.sending : t.send}
          </button>
        </>
      )}
    </form>
  );
}

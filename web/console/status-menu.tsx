/**
 * The conversation's status in its header: the badge (with the snooze time), the main button
 * (resolve, or reopen a resolved one) and a menu with every status — open, waiting for the
 * customer, snooze (in an hour, tomorrow 09:00, next Monday 09:00, or a chosen time; the
 * browser's time zone), resolve, and close, which asks first since it is final.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ConfirmClose } from './bulk-bar';
import { SNOOZE_PRESETS, snoozeTime } from './desk';
import { clockTime, fullTime } from './format';
import type { Store } from './store';
import type { Conversation } from './types';

/** "2026-12-01T09:00" in the browser's time zone, for a datetime-local input. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function StatusBadge({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  return (
    <>
      <span class={`cn-status cn-status-${c.status}`} data-testid="cn-status" data-status={c.status}>
        {t(`status_${c.status}` as 'status_open')}
      </span>
      {c.status === 'snoozed' && c.snoozed_until && (
        <span class="cn-snoozed-until" data-testid="cn-snoozed-until" data-until={c.snoozed_until} title={fullTime(c.snoozed_until, s.lang)}>
          {t('snoozedUntil', { time: fullTime(c.snoozed_until, s.lang) })}
        </span>
      )}
    </>
  );
}

export function StatusControls({ s, c }: { s: Store; c: Conversation }) {
  const t = s.t;
  const busy = s.busy.has(`status:${c.id}`);
  const [open, setOpen] = useState(false);
  const [closing, setClosing] = useState(false);
  const [custom, setCustom] = useState(() => localInput(snoozeTime('tomorrow')));
  const [customError, setCustomError] = useState('');
  const box = useRef<HTMLDivElement>(null);

  // A click elsewhere or Esc closes the menu.
  useEffect(() => {
    if (!open) return;
    const onDown = (event: MouseEvent) => {
      if (!box.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', onDown);
    addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('mousedown', onDown);
      removeEventListener('keydown', onKey, true);
    };
  }, [open]);

  const choose = (status: 'open' | 'pending' | 'resolved') => {
    setOpen(false);
    void s.desk.setStatus(c.id, status);
  };
  const snooze = (until: Date) => {
    setOpen(false);
    void s.desk.setStatus(c.id, 'snoozed', until);
  };
  const closed = c.status === 'closed';

  return (
    <div class="cn-status-controls" ref={box}>
      {c.status === 'resolved' ? (
        <button type="button" class="cn-btn" data-testid="cn-reopen" disabled={busy} title="Alt+R" onClick={() => void s.reopen(c.id)}>
          {t('reopen')}
        </button>
      ) : (
        !closed && (
          <button type="button" class="cn-btn cn-btn-primary" data-testid="cn-resolve" disabled={busy} title="Alt+R" onClick={() => void s.resolve(c.id)}>
            {t('resolve')}
          </button>
        )
      )}
      {!closed && (
        <button
          type="button"
          class="cn-btn cn-status-more"
          data-testid="cn-status-menu"
          aria-haspopup="menu"
          aria-expanded={open}
          disabled={busy}
          title={t('setStatus')}
          onClick={() => setOpen(!open)}
        >
          {t('statusMenu')} ▾
        </button>
      )}
      {open && (
        <div class="cn-menu" role="menu" data-testid="cn-status-options">
          {c.status !== 'open' && (
            <button type="button" role="menuitem" data-testid="cn-set-status-open" onClick={() => choose('open')}>
              {t('statusAction_open')}
            </button>
          )}
          {c.status !== 'pending' && (
            <button type="button" role="menuitem" data-testid="cn-set-status-pending" onClick={() => choose('pending')}>
              {t('statusAction_pending')}
              <small>{t('pendingHint')}</small>
            </button>
          )}
          <div class="cn-menu-group" role="group" aria-label={t('snooze')}>
            <span class="cn-menu-label">{t('snooze')}</span>
            {SNOOZE_PRESETS.map((preset) => {
              const at = snoozeTime(preset);
              return (
                <button key={preset} type="button" role="menuitem" data-testid={`cn-snooze-${preset}`} onClick={() => snooze(snoozeTime(preset))}>
                  {t(`snooze_${preset}`)}
                  <small>{preset === 'hour' ? clockTime(at.toISOString(), s.lang) : fullTime(at.toISOString(), s.lang)}</small>
                </button>
              );
            })}
            <form
              class="cn-menu-custom"
              onSubmit={(event) => {
                event.preventDefault();
                const at = new Date(custom);
                if (!custom || Number.isNaN(at.getTime()) || at.getTime() <= Date.now()) return setCustomError(t('snoozeFuture'));
                snooze(at);
              }}
            >
              <input
                type="datetime-local"
                data-testid="cn-snooze-custom"
                aria-label={t('snoozeCustom')}
                value={custom}
                min={localInput(new Date())}
                onInput={(e) => {
                  setCustom((e.currentTarget as HTMLInputElement).value);
                  setCustomError('');
                }}
              />
              <button type="submit" class="cn-btn cn-btn-small" data-testid="cn-snooze-custom-submit">
                {t('snoozeCustomSubmit')}
              </button>
              {customError && (
                <div class="cn-field-error" role="alert" data-testid="cn-field-error" data-field="snoozed_until">
                  {customError}
                </div>
              )}
            </form>
          </div>
          {c.status !== 'resolved' && (
            <button type="button" role="menuitem" data-testid="cn-set-status-resolved" onClick={() => choose('resolved')}>
              {t('statusAction_resolved')}
            </button>
          )}
          <button
            type="button"
            role="menuitem"
            class="is-danger"
            data-testid="cn-set-status-closed"
            onClick={() => {
              setOpen(false);
              setClosing(true);
            }}
          >
            {t('statusAction_closed')}
            <small>{t('closeHint')}</small>
          </button>
        </div>
      )}
      {closing && (
        <ConfirmClose
          s={s}
          count={1}
          onCancel={() => setClosing(false)}
          onConfirm={() => {
            setClosing(false);
            void s.desk.setStatus(c.id, 'closed');
          }}
        />
      )}
    </div>
  );
}

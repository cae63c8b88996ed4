/** Small pieces the console's pages share: a modal dialog, field errors, an agent's presence, a ticking clock. */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Translate } from './i18n';
import type { Agent } from './types';

/**
 * A dialog over the page. Esc and a click outside close it; focus moves into it and returns
 * to where it was when it closes. The console's hotkeys stay quiet while one is open.
 */
export function Modal({ label, testid, onClose, children, wide }: { label: string; testid: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  // Before paint: a key typed right after the dialog opened must land in it, not behind it.
  useLayoutEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const first = box.current?.querySelector<HTMLElement>(
      '[autofocus], input:not([disabled]):not([readonly]):not([type=hidden]), textarea:not([disabled]), select:not([disabled]), button:not([disabled])',
    );
    first?.focus();
    // Esc closes wherever the focus is (even if it stayed behind the dialog).
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      event.preventDefault();
      event.stopPropagation();
      close.current();
    };
    addEventListener('keydown', onKey, true);
    return () => {
      removeEventListener('keydown', onKey, true);
      before?.focus?.();
    };
  }, []);
  return (
    <div class="cn-modal-back" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={box} class={`cn-modal${wide ? ' cn-modal-wide' : ''}`} role="dialog" aria-modal="true" aria-label={label} data-testid={testid}>
        {children}
      </div>
    </div>
  );
}

/** Whether a dialog is open: page-wide hotkeys wait until it closes. */
export const modalOpen = () => !!document.querySelector('[aria-modal="true"]');

export function FieldError({ errors, name }: { errors: Record<string, string | undefined>; name: string }) {
  const text = errors[name];
  return text ? (
    <div class="cn-field-error" data-testid="cn-field-error" data-field={name} role="alert">
      {text}
    </div>
  ) : null;
}

export function PresenceDot({ status, t }: { status: string; t: Translate }) {
  const label = t(`agentStatus_${status}` as 'agentStatus_online');
  return <span class={`cn-presence cn-presence-${status}`} title={label} aria-label={label} role="img" />;
}

/** "3 / 5": open conversations of the agent against their capacity. */
export function loadText(agent: Agent): string {
  const load = agent.load ?? '–';
  return agent.capacity ? `${load} / ${agent.capacity}` : String(load);
}

export const atCapacity = (agent: Agent) => !!agent.capacity && (agent.load ?? 0) >= agent.capacity;

/** Re-renders every second, for the times that tick; returns the time of this render. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

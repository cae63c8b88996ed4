/**
 * The channel a conversation came through (docs/DESIGN: one conversation, any channel): a small
 * mark for the inbox list's rows and a mark with the channel's name for the conversation's
 * header and the channels page. A channel this console does not know yet shows by its code.
 */
import { channelName } from './filter-bar';
import type { Translate } from './i18n';

/** Outline glyphs on a 24×24 grid, drawn with the text's colour. */
const GLYPHS: Record<string, preact.JSX.Element> = {
  // a globe
  web: (
    <>
      <circle cx="12" cy="12" r="9" />
      <path d="M3 12h18M12 3c2.5 2.7 3.8 5.7 3.8 9s-1.3 6.3-3.8 9c-2.5-2.7-3.8-5.7-3.8-9S9.5 5.7 12 3z" />
    </>
  ),
  // an envelope
  email: (
    <>
      <rect x="3" y="5" width="18" height="14" rx="2" />
      <path d="M3.5 6.5 12 13l8.5-6.5" />
    </>
  ),
  // a paper plane
  telegram: <path d="M21 4 3 11.2l6.3 2.3L18 7.5l-6.9 7.6L17 20l4-16zM9.3 13.5 10 19l2.6-3.3" />,
  // a speech bubble with VK's letters
  vk: (
    <>
      <rect x="3" y="4" width="18" height="16" rx="4" />
      <path d="M7 9l2 6 2-6M13 9v6M16.5 9 13.5 12.2 16.5 15" />
    </>
  ),
  // a handset inside a speech bubble (Viber's purple, WhatsApp's green: the colour tells them apart)
  viber: (
    <>
      <path d="M12 3c5 0 8.5 2.6 8.5 8s-3.5 8-8.5 8c-.9 0-1.8-.1-2.6-.3L6 21v-3.3C4.2 16.3 3.5 14 3.5 11 3.5 5.6 7 3 12 3z" />
      <path d="M9.3 8.2c.4 2.8 2.2 5 5.3 6.2l1-1.1-1.7-1-.8.7c-1-.5-1.8-1.3-2.3-2.3l.7-.8-1-1.7z" />
    </>
  ),
  whatsapp: (
    <>
      <path d="M4 20l1.3-4A8.5 8.5 0 1 1 8.3 19L4 20z" />
      <path d="M9.3 8.2c.4 2.8 2.2 5 5.3 6.2l1-1.1-1.7-1-.8.7c-1-.5-1.8-1.3-2.3-2.3l.7-.8-1-1.7z" />
    </>
  ),
  // a handset
  phone: <path d="M6.5 3.5 9.5 3l1.5 4.5-2 1.5a11 11 0 0 0 6 6l1.5-2 4.5 1.5-.5 3a2 2 0 0 1-2 1.5C10.8 19 5 13.2 5 5.5a2 2 0 0 1 1.5-2z" />,
  // a sheet with lines
  form: (
    <>
      <path d="M6 3h9l4 4v14H6z" />
      <path d="M14.5 3v4.5H19M9 11h7M9 14.5h7M9 18h4" />
    </>
  ),
};

/** The channel's glyph alone; `label` makes it an image with that name, else it is decoration. */
export function ChannelGlyph({ channel, label }: { channel: string; label?: string }) {
  return (
    <svg class={`cn-channel-glyph cn-glyph-${channel}`} viewBox="0 0 24 24" role={label ? 'img' : undefined} aria-label={label} aria-hidden={label ? undefined : 'true'}>
      {label && <title>{label}</title>}
      <g class="cn-stroke">{GLYPHS[channel] || <circle cx="12" cy="12" r="8" />}</g>
    </svg>
  );
}

/**
 * The channel's mark: in a row only the glyph (its name is the tooltip and what a screen
 * reader says), elsewhere the glyph and the name.
 */
export function ChannelMark({ channel, t, compact }: { channel: string; t: Translate; compact?: boolean }) {
  const name = channelName(channel, t);
  return (
    <span class={`cn-channel${compact ? ' is-compact' : ''}`} data-testid="cn-channel" data-channel={channel} title={compact ? name : undefined}>
      <ChannelGlyph channel={channel} label={compact ? name : undefined} />
      {!compact && <span class="cn-channel-name">{name}</span>}
    </span>
  );
}

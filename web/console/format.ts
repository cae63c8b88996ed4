/** Dates, URLs and text pieces for rendering. Nothing here produces HTML. */
import type { Lang } from './i18n';

const locale = (lang: Lang) => (lang === 'ru' ? 'ru-RU' : 'en-GB');

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" today, "12 Nov" this year, "12.11.2025" before: for list rows. */
export function shortTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const now = new Date();
  if (sameDay(date, now)) return date.toLocaleTimeString(locale(lang), { hour: '2-digit', minute: '2-digit' });
  if (date.getFullYear() === now.getFullYear()) return date.toLocaleDateString(locale(lang), { day: 'numeric', month: 'short' });
  return date.toLocaleDateString(locale(lang), { day: '2-digit', month: '2-digit', year: 'numeric' });
}

export function clockTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString(locale(lang), { hour: '2-digit', minute: '2-digit' });
}

export function fullTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(locale(lang), { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** The day a message belongs to, for separators: "Today", "Yesterday" or a date. */
export function dayLabel(iso: string, lang: Lang, today: string, yesterday: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const now = new Date();
  if (sameDay(date, now)) return today;
  const before = new Date(now);
  before.setDate(now.getDate() - 1);
  if (sameDay(date, before)) return yesterday;
  return date.toLocaleDateString(locale(lang), { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric' });
}

export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** Only http(s) URLs become links; anything else (javascript:, data:) is shown as text. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** "RU" → "Russia" in the UI language, when the browser knows. */
export function countryName(code: string | null | undefined, lang: Lang): string {
  if (!code) return '';
  try {
    const names = new Intl.DisplayNames([locale(lang)], { type: 'region' });
    const name = names.of(code.toUpperCase());
    return name && name !== code.toUpperCase() ? name : '';
  } catch {
    return '';
  }
}

export function flag(code: string | null | undefined): string {
  if (!code || !/^[A-Za-z]{2}$/.test(code)) return '';
  return String.fromCodePoint(...[...code.toUpperCase()].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

export type Piece = { text: string; href?: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

/** Splits text into plain pieces and http(s) links, to render as text nodes and <a>. */
export function linkify(text: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    let url = match[0];
    // Trailing punctuation usually ends the sentence, not the URL.
    const trail = url.match(/[.,;:!?)\]}»]+$/);
    if (trail) url = url.slice(0, -trail[0].length);
    const start = match.index ?? 0;
    const href = safeHref(url);
    if (!href) continue;
    if (start > last) pieces.push({ text: text.slice(last, start) });
    pieces.push({ text: url, href });
    last = start + url.length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}

/** One line for a list row: whitespace folded, cut to a readable length. */
export function preview(body: string | null | undefined, max = 140): string {
  const line = (body || '').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A span of time, rounded for a glance: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function shortDuration(seconds: number, lang: Lang): string {
  const [sec, min, hour, day] = lang === 'ru' ? ['с', 'мин', 'ч', 'д'] : ['s', 'min', 'h', 'd'];
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} ${sec}`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} ${min}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} ${hour} ${minutes % 60} ${min}` : `${hours} ${hour}`;
  return hours % 24 ? `${Math.floor(hours / 24)} ${day} ${hours % 24} ${hour}` : `${Math.floor(hours / 24)} ${day}`;
}

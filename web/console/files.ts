/**
 * Files the agent attaches to a reply (docs/protocol.md, "Files"): each is uploaded at once
 * (`POST /api/v1/files`), shown under the composer while it goes and after, and sent with
 * the next message as `file_ids`. The server judges the content; a refusal (413 too large,
 * 415 a kind that is not allowed) is shown on the file's row and nothing of it is sent.
 */
import { ApiError, upload } from './api';
import type { Host } from './host';
import type { FileInfo } from './types';

/** The server takes at most this many files with one message. */
export const MAX_FILES = 10;

export interface Upload {
  /** Local key of the row (the server's id comes with `file`). */
  key: string;
  name: string;
  size: number;
  state: 'uploading' | 'done' | 'failed';
  file?: FileInfo;
  error?: string;
  /** `file_too_large`, `file_type_not_allowed`, … */
  code?: string;
  abort?: AbortController;
}

let serial = 0;

export class Uploads {
  private readonly byConversation = new Map<number, Upload[]>();

  constructor(private readonly host: Host) {}

  reset(): void {
    for (const id of [...this.byConversation.keys()]) this.clear(id);
  }

  of(conversationId: number): Upload[] {
    return this.byConversation.get(conversationId) || [];
  }

  /** Still uploading: the message waits, so it never goes without a file the agent chose. */
  busy(conversationId: number): boolean {
    return this.of(conversationId).some((item) => item.state === 'uploading');
  }

  /** The uploaded files, ready to go with the next message. */
  ready(conversationId: number): FileInfo[] {
    return this.of(conversationId).flatMap((item) => (item.state === 'done' && item.file ? [item.file] : []));
  }

  add(conversationId: number, files: File[]): void {
    if (!files.length) return;
    const list = [...this.of(conversationId)];
    const room = MAX_FILES - list.filter((item) => item.state !== 'failed').length;
    if (files.length > room) this.host.showToast(this.host.t('tooManyFiles', { max: MAX_FILES }));
    for (const file of files.slice(0, Math.max(0, room))) {
      const item: Upload = {
        key: `u${++serial}`,
        name: file.name || 'file',
        size: file.size,
        state: 'uploading',
        abort: new AbortController(),
      };
      list.push(item);
      void this.send(conversationId, item, file);
    }
    this.byConversation.set(conversationId, list);
    this.host.emit();
  }

  remove(conversationId: number, key: string): void {
    const list = this.of(conversationId);
    const item = list.find((other) => other.key === key);
    if (!item) return;
    item.abort?.abort();
    const rest = list.filter((other) => other !== item);
    if (rest.length) this.byConversation.set(conversationId, rest);
    else this.byConversation.delete(conversationId);
    this.host.emit();
  }

  /** After sending: the sent files leave the composer, and so do refused ones (their error was seen). */
  clear(conversationId: number): void {
    for (const item of this.of(conversationId)) {
      if (item.state === 'uploading') continue;
      this.remove(conversationId, item.key);
    }
  }

  private async send(conversationId: number, item: Upload, file: File): Promise<void> {
    const form = new FormData();
    form.append('file', file, file.name || 'file');
    try {
      const data = await upload<{ file: FileInfo }>('/api/v1/files', form, item.abort?.signal);
      item.file = data.file;
      item.state = 'done';
    } catch (error) {
      if (item.abort?.signal.aborted) return;
      item.state = 'failed';
      item.code = error instanceof ApiError ? error.code : 'error';
      item.error = this.errorText(error, item.name);
    } finally {
      item.abort = undefined;
      // The row may have been removed meanwhile; `of` then no longer lists it.
      if (this.of(conversationId).includes(item)) this.byConversation.set(conversationId, [...this.of(conversationId)]);
      this.host.emit();
    }
  }

  private errorText(error: unknown, name: string): string {
    const t = this.host.t;
    if (error instanceof ApiError) {
      if (error.code === 'file_too_large' || error.status === 413) return t('fileTooLarge', { name });
      if (error.code === 'file_type_not_allowed' || error.status === 415) return t('fileTypeRefused', { name });
    }
    return t('fileFailed', { name, reason: this.host.errorText(error) });
  }
}

/** "512 B", "12 KB", "3.4 MB". */
export function fileSize(bytes: number, lang: string): string {
  const format = (value: number, digits: number) => value.toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: digits });
  if (bytes < 1024) return `${bytes} ${lang === 'ru' ? 'Б' : 'B'}`;
  if (bytes < 1024 * 1024) return `${format(bytes / 1024, 0)} ${lang === 'ru' ? 'КБ' : 'KB'}`;
  return `${format(bytes / (1024 * 1024), 1)} ${lang === 'ru' ? 'МБ' : 'MB'}`;
}

/** The files of a drop or a paste (not text or links dragged within the page). */
export function filesOf(data: DataTransfer | null): File[] {
  return data ? [...data.files] : [];
}

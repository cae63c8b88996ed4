/**
 * Files in the widget (docs/protocol.md, "Files"): upload first with
 * POST /api/widget/v1/files, then `message.send` with the `file_ids`.
 */

/** A stored file as the server describes it; `url` is relative to the server. */
export interface FileInfo {
  id: number;
  name: string;
  size: number;
  content_type: string;
  url: string;
  image: boolean;
}

/** A file the visitor picked for the next message: on its way up, or stored. */
export interface Upload {
  key: string;
  name: string;
  /** An object URL for an image's thumbnail while it uploads (revoked when dropped). */
  preview?: string;
  file?: FileInfo;
}

export const MAX_FILES = 10;

/** Why the server refused an upload, by status: the widget words it itself. */
export type UploadRefusal = 'too_large' | 'type' | 'failed';

export async function uploadFile(origin: string, token: string, file: File): Promise<FileInfo> {
  const form = new FormData();
  form.append('token', token);
  form.append('file', file, file.name);
  let response: Response;
  try {
    response = await fetch(`${origin}/api/widget/v1/files`, { method: 'POST', body: form });
  } catch {
    throw 'failed' satisfies UploadRefusal;
  }
  // By status, not body: a proxy in front of the server refuses large bodies with a bare 413.
  if (response.status === 413) throw 'too_large' satisfies UploadRefusal;
  if (response.status === 415) throw 'type' satisfies UploadRefusal;
  const payload = await response.json().catch(() => null);
  if (!response.ok || !payload?.file) throw 'failed' satisfies UploadRefusal;
  return payload.file;
}

/** "820 B", "14 KB", "2.4 MB". */
export function fileSize(bytes: number, lang: string): string {
  const [value, unit] = bytes < 1024 ? [bytes, 'B'] : bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : [bytes / 1024 / 1024, 'MB'];
  const units: Record<string, string> = lang === 'ru' ? { B: 'Б', KB: 'КБ', MB: 'МБ' } : {};
  return `${value.toLocaleString(lang, { maximumFractionDigits: value < 10 && unit !== 'B' ? 1 : 0 })} ${units[unit] || unit}`;
}

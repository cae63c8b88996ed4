/**
 * Files on screen: a message's attachments (image thumbnails that open full size, other files
 * as downloads with name and size) and the composer's pending uploads. File names are text
 * nodes; URLs are the server's own `/files/...` paths.
 */
import { useState } from 'preact/hooks';
import { fileSize, type Upload } from './files';
import type { Lang, Translate } from './i18n';
import type { FileInfo } from './types';
import { Modal } from './ui';

/** Only the server's own file paths become links or images. */
const fileHref = (url: string) => (/^\/files\//.test(url) ? url : null);

export function Attachments({ files, t, lang }: { files: FileInfo[]; t: Translate; lang: Lang }) {
  const [shown, setShown] = useState<FileInfo | null>(null);
  return (
    <div class="cn-files" data-testid="cn-attachments">
      {files.map((file) => {
        const href = fileHref(file.url);
        if (!href) return null;
        return file.image ? (
          <a
            key={file.id}
            class="cn-file-image"
            href={href}
            target="_blank"
            rel="noopener noreferrer"
            data-testid="cn-attachment"
            data-kind="image"
            data-name={file.name}
            title={`${file.name} · ${fileSize(file.size, lang)}`}
            onClick={(event) => {
              if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
              event.preventDefault();
              setShown(file);
            }}
          >
            <img src={href} alt={file.name} loading="lazy" data-testid="cn-attachment-image" />
          </a>
        ) : (
          <a key={file.id} class="cn-file" href={href} download={file.name} data-testid="cn-attachment" data-kind="file" data-name={file.name}>
            <FileIcon />
            <span class="cn-file-name">{file.name}</span>
            <small class="cn-file-size">{fileSize(file.size, lang)}</small>
          </a>
        );
      })}
      {shown && (
        <Modal label={shown.name} testid="cn-lightbox" onClose={() => setShown(null)} wide>
          <figure class="cn-lightbox">
            <img src={fileHref(shown.url) || ''} alt={shown.name} data-testid="cn-lightbox-image" />
            <figcaption>
              <span>{shown.name}</span>
              <small class="cn-muted">{fileSize(shown.size, lang)}</small>
              <a href={fileHref(shown.url) || ''} target="_blank" rel="noopener noreferrer">
                {t('openInNewTab')}
              </a>
              <button type="button" class="cn-btn cn-btn-small" data-testid="cn-lightbox-close" onClick={() => setShown(null)}>
                {t('close')}
              </button>
            </figcaption>
          </figure>
        </Modal>
      )}
    </div>
  );
}

export function FileIcon() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" class="cn-file-icon">
      <path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm-1 7V3.5L18.5 9H13z" />
    </svg>
  );
}

export function ClipIcon() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true">
      <path d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z" />
    </svg>
  );
}

/** The composer's files: name, size, a thumbnail for images, the state, and remove. */
export function PendingUploads({ items, t, lang, onRemove }: { items: Upload[]; t: Translate; lang: Lang; onRemove: (key: string) => void }) {
  if (!items.length) return null;
  return (
    <ul class="cn-uploads" data-testid="cn-uploads">
      {items.map((item) => (
        <li key={item.key} class={`cn-upload is-${item.state}`} data-testid="cn-upload" data-state={item.state} data-name={item.name} data-code={item.code || undefined}>
          {/* The server's copy, once it has it: the console's CSP allows no blob: pictures. */}
          {item.file?.image && fileHref(item.file.url) ? <img src={fileHref(item.file.url)!} alt="" /> : <FileIcon />}
          <span class="cn-upload-name" title={item.name}>
            {item.name}
          </span>
          <small class="cn-muted">{fileSize(item.size, lang)}</small>
          {item.state === 'uploading' && <span class="cn-spinner" aria-label={t('uploading')} />}
          {item.error && (
            <span class="cn-upload-error" data-testid="cn-upload-error" role="alert">
              {item.error}
            </span>
          )}
          <button type="button" class="cn-icon-btn cn-icon-dark" data-testid="cn-upload-remove" aria-label={t('remove')} title={t('remove')} onClick={() => onRemove(item.key)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

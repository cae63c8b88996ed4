/**
 * Files in the chat: a message's attachments (image previews, download links) and the files
 * picked for the next message. File URLs are relative to the Helpline server, not the page.
 */
import { fileSize, type FileInfo } from './files';
import { CLOSE_ICON, FILE_ICON, Icon } from './icons';
import type { WidgetChat } from './state';

export function Attachments({ files, chat }: { files: FileInfo[]; chat: WidgetChat }) {
  const origin = chat.options.origin;
  return (
    <div class="hl-files">
      {files.map((file) => {
        const href = origin + file.url;
        // The server serves images inline and everything else as a download, with a CSP
        // sandbox either way: opening a file in a tab can run nothing.
        return file.image ? (
          <a key={file.id} class="hl-image" data-testid="hl-attachment" data-image="true" href={href} target="_blank" rel="noopener noreferrer" title={file.name}>
            <img src={href} alt={file.name} loading="lazy" />
          </a>
        ) : (
          <a key={file.id} class="hl-file" data-testid="hl-attachment" data-image="false" href={href} target="_blank" rel="noopener noreferrer" download={file.name}>
            <Icon d={FILE_ICON} />
            <span>{file.name}</span>
            <small>{fileSize(file.size, chat.lang)}</small>
          </a>
        );
      })}
    </div>
  );
}

/** The files going with the next message, each removable; a thumbnail for images. */
export function Uploads({ chat }: { chat: WidgetChat }) {
  const { t } = chat;
  if (!chat.uploads.length) return null;
  return (
    <ul class="hl-uploads" data-testid="hl-uploads">
      {chat.uploads.map((upload) => (
        <li key={upload.key} class="hl-upload" data-testid="hl-upload" data-state={upload.file ? 'ready' : 'uploading'} title={upload.name}>
          {upload.preview ? <img src={upload.preview} alt="" /> : <Icon d={FILE_ICON} />}
          <span>{upload.file ? upload.name : t.uploading}</span>
          <button type="button" class="hl-tool" data-testid="hl-upload-remove" aria-label={`${t.remove}: ${upload.name}`} title={t.remove} onClick={() => chat.detach(upload.key)}>
            <Icon d={CLOSE_ICON} />
          </button>
        </li>
      ))}
    </ul>
  );
}

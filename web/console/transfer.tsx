/**
 * The transfer dialog: pick an agent (with their status and load against capacity), add a
 * note for them, hand the conversation over. An agent at capacity refuses (409 `at_capacity`);
 * the dialog then offers to transfer anyway.
 */
import { useState } from 'preact/hooks';
import { MAX_BODY, type Store } from './store';
import { byPresence } from './team';
import { atCapacity, loadText, Modal, PresenceDot } from './ui';

export function TransferDialog({ s, id }: { s: Store; id: number }) {
  const t = s.t;
  const conversation = s.convs.get(id);
  const [agentId, setAgentId] = useState<number | null>(null);
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const [full, setFull] = useState(false);
  const busy = s.busy.has(`transfer:${id}`);
  const close = () => s.openTransfer(null);
  if (!conversation) return null;
  const agents = s.team.list.filter((a) => a.is_active && a.id !== conversation.assignee?.id).sort(byPresence);
  const chosen = agents.find((a) => a.id === agentId);

  const submit = async (force: boolean) => {
    if (agentId === null || busy) return;
    setError('');
    const result = await s.transfer(id, agentId, note, force);
    if (result.ok) {
      close();
      return;
    }
    setFull(result.atCapacity);
    setError(result.atCapacity ? t('atCapacity', { name: chosen?.name || t('agent') }) : result.error);
  };

  return (
    <Modal label={t('transfer')} testid="cn-transfer-dialog" onClose={close} wide>
      <form
        class="cn-form cn-transfer"
        onSubmit={(event) => {
          event.preventDefault();
          void submit(false);
        }}
      >
        <h2>{t('transferTitle', { number: conversation.number })}</h2>
        <fieldset class="cn-transfer-agents">
          <legend>{t('transferTo')}</legend>
          {agents.length === 0 && <p class="cn-muted">{s.team.loaded ? t('noOtherAgents') : t('loading')}</p>}
          {agents.map((agent) => (
            <label
              key={agent.id}
              class={`cn-transfer-agent${agent.id === agentId ? ' is-chosen' : ''}${atCapacity(agent) ? ' is-full' : ''}`}
              data-testid="cn-transfer-agent"
              data-id={agent.id}
              data-status={agent.status}
            >
              <input
                type="radio"
                name="agent"
                value={agent.id}
                checked={agent.id === agentId}
                onChange={() => {
                  setAgentId(agent.id);
                  setError('');
                  setFull(false);
                }}
              />
              <PresenceDot status={agent.status} t={t} />
              <span class="cn-transfer-name">
                {agent.name}
                {agent.id === s.me?.id && <small class="cn-muted"> ({t('itsYou')})</small>}
              </span>
              <span class="cn-muted">{t(`agentStatus_${agent.status}` as 'agentStatus_online')}</span>
              <span class="cn-transfer-load" title={t('loadTitle')}>
                {loadText(agent)}
              </span>
            </label>
          ))}
        </fieldset>
        <label>
          <span>{t('transferNote')}</span>
          <textarea
            data-testid="cn-transfer-note"
            rows={3}
            maxLength={MAX_BODY}
            spellcheck
            value={note}
            placeholder={t('transferNoteHint')}
            onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                void submit(false);
              }
            }}
          />
        </label>
        {error && (
          <div class="cn-field-error" data-testid="cn-transfer-error" data-code={full ? 'at_capacity' : 'error'} role="alert">
            {error}
          </div>
        )}
        <div class="cn-form-actions">
          <button type="button" class="cn-btn" onClick={close}>
            {t('cancel')}
          </button>
          {full ? (
            <button type="button" class="cn-btn cn-btn-danger" data-testid="cn-transfer-force" disabled={busy} onClick={() => void submit(true)}>
              {t('transferAnyway')}
            </button>
          ) : (
            <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-transfer-submit" disabled={busy || agentId === null}>
              {t('transfer')}
            </button>
          )}
        </div>
      </form>
    </Modal>
  );
}

/**
 * The transfer dialog: pick an agent (with their status and load against capacity) or a team
 * (the server gives it to the team's least-loaded available member, else leaves it in the
 * team's queue), add a note, hand the conversation over. An agent at capacity refuses (409
 * `at_capacity`); the dialog then offers to transfer anyway.
 */
import { useState } from 'preact/hooks';
import { MAX_BODY, type Store, type TransferTarget } from './store';
import { byPresence } from './team';
import { atCapacity, loadText, Modal, PresenceDot } from './ui';

export function TransferDialog({ s, id }: { s: Store; id: number }) {
  const t = s.t;
  const conversation = s.convs.get(id);
  const [target, setTarget] = useState<TransferTarget | null>(null);
  const agentId = target && 'agentId' in target ? target.agentId : null;
  const teamId = target && 'teamId' in target ? target.teamId : null;
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const [full, setFull] = useState(false);
  const busy = s.busy.has(`transfer:${id}`);
  const close = () => s.openTransfer(null);
  if (!conversation) return null;
  const agents = s.team.list.filter((a) => a.is_active && a.id !== conversation.assignee?.id).sort(byPresence);
  const chosen = agents.find((a) => a.id === agentId);
  const teams = s.teams.list;
  const choose = (next: TransferTarget) => {
    setTarget(next);
    setError('');
    setFull(false);
  };

  const submit = async (force: boolean) => {
    if (target === null || busy) return;
    setError('');
    const result = await s.transfer(id, target, note, force);
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
              <input type="radio" name="target" value={`agent:${agent.id}`} checked={agent.id === agentId} onChange={() => choose({ agentId: agent.id })} />
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
        {teams.length > 0 && (
          <fieldset class="cn-transfer-agents cn-transfer-teams">
            <legend>{t('transferToTeam')}</legend>
            {teams.map((team) => {
              const online = team.member_ids.filter((member) => s.team.byId(member)?.status === 'online').length;
              return (
                <label key={team.id} class={`cn-transfer-agent${team.id === teamId ? ' is-chosen' : ''}`} data-testid="cn-transfer-team" data-id={team.id}>
                  <input type="radio" name="target" value={`team:${team.id}`} checked={team.id === teamId} onChange={() => choose({ teamId: team.id })} />
                  <span class="cn-room-team" aria-hidden="true">
                    #
                  </span>
                  <span class="cn-transfer-name">
                    {team.name}
                    {conversation.team?.id === team.id && <small class="cn-muted"> ({t('teamCurrent')})</small>}
                  </span>
                  <span class="cn-muted">{t('teamOnlineOf', { online, count: team.member_ids.length })}</span>
                </label>
              );
            })}
          </fieldset>
        )}
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
            <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-transfer-submit" disabled={busy || target === null}>
              {t('transfer')}
            </button>
          )}
        </div>
      </form>
    </Modal>
  );
}

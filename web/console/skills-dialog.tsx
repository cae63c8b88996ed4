/**
 * An agent's skills (docs/protocol.md, "Assignment"): the languages and categories a team gives
 * them conversations in. Nothing chosen in a list means any; a conversation routed to a team
 * goes only to a member whose skills take its language and category.
 */
import { useState } from 'preact/hooks';
import { LANGUAGES } from './routing';
import type { Store } from './store';
import { treeOrder } from './taxonomy';
import type { Agent, Skills } from './types';
import { Modal } from './ui';

/** "ru, en · 2 categories", or "Any" when the agent takes everything. */
export function skillsText(s: Store, skills: Skills | undefined): string {
  const t = s.t;
  const parts: string[] = [];
  if (skills?.languages.length) parts.push(skills.languages.join(', '));
  if (skills?.categories.length) {
    const names = skills.categories.map((id) => s.taxonomy.categoryPath(id)).filter(Boolean);
    parts.push(names.length === skills.categories.length && names.length <= 2 ? names.join(', ') : t('skillsCategoriesN', { count: skills.categories.length }));
  }
  return parts.join(' · ') || t('skillsAny');
}

export function SkillsDialog({ s, agent, onClose }: { s: Store; agent: Agent; onClose: () => void }) {
  const t = s.t;
  const [languages, setLanguages] = useState<string[]>(agent.skills?.languages || []);
  const [other, setOther] = useState((agent.skills?.languages || []).filter((code) => !(LANGUAGES as readonly string[]).includes(code)).join(', '));
  const [categories, setCategories] = useState<number[]>(agent.skills?.categories || []);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const toggle = <T,>(list: T[], item: T, on: boolean) => (on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item));

  const save = async (event: Event) => {
    event.preventDefault();
    const extra = other
      .split(/[\s,;]+/)
      .map((code) => code.trim().toLowerCase())
      .filter(Boolean);
    if (extra.some((code) => !/^[a-z]{2}$/.test(code))) return setError(t('skillsLanguageCode'));
    const chosen = [...new Set([...languages.filter((code) => (LANGUAGES as readonly string[]).includes(code)), ...extra])];
    setBusy(true);
    const failure = await s.team.update(agent, { skills: { languages: chosen, categories } });
    setBusy(false);
    if (failure) setError(failure);
    else onClose();
  };

  return (
    <Modal label={t('skillsOf', { name: agent.name })} testid="cn-skills-dialog" onClose={onClose} wide>
      <form class="cn-form cn-skills" onSubmit={save} noValidate>
        <h2>{t('skillsOf', { name: agent.name })}</h2>
        <p class="cn-muted cn-small">{t('skillsHelp')}</p>
        <fieldset class="cn-fieldset">
          <legend>{t('skillsLanguages')}</legend>
          <div class="cn-chip-row">
            {LANGUAGES.map((code) => (
              <label key={code} class="cn-chip-check">
                <input type="checkbox" data-testid={`cn-skill-lang-${code}`} checked={languages.includes(code)} onChange={(e) => setLanguages(toggle(languages, code, (e.currentTarget as HTMLInputElement).checked))} />
                {t(`lang_${code}`)}
              </label>
            ))}
          </div>
          <label>
            <span>{t('skillsOtherLanguages')}</span>
            <input type="text" data-testid="cn-skill-lang-other" value={other} placeholder="de, kk" maxLength={100} onInput={(e) => setOther((e.currentTarget as HTMLInputElement).value)} />
          </label>
        </fieldset>
        <fieldset class="cn-fieldset">
          <legend>{t('skillsCategories')}</legend>
          {!s.taxonomy.categories.length && <p class="cn-muted cn-small">{t('categoriesNone')}</p>}
          <div class="cn-check-list">
            {treeOrder(s.taxonomy.categories).map(({ category, depth }) => (
              <label key={category.id} class="cn-check" style={{ paddingLeft: `${depth * 16}px` }}>
                <input
                  type="checkbox"
                  data-testid="cn-skill-category"
                  data-id={category.id}
                  checked={categories.includes(category.id)}
                  onChange={(e) => setCategories(toggle(categories, category.id, (e.currentTarget as HTMLInputElement).checked))}
                />
                <span>{category.name}</span>
              </label>
            ))}
          </div>
        </fieldset>
        {error && (
          <div class="cn-field-error" data-testid="cn-field-error" data-field="skills" role="alert">
            {error}
          </div>
        )}
        <div class="cn-form-actions">
          <button type="button" class="cn-btn" onClick={onClose}>
            {t('cancel')}
          </button>
          <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-skills-save" disabled={busy}>
            {busy ? t('saving') : t('save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/**
 * Admin › Quality review (/console/reviewer): what the automatic reviewer and the reply coach
 * look for. Each fault on or off with the points it costs, the thresholds in seconds and other
 * numbers, and the phrase lists (one per line). Saved as a whole; "Reset to defaults" drops the
 * account's overrides. A refused value is shown by its field.
 */
import { useState } from 'preact/hooks';
import type { FieldErrors } from './host';
import type { StringKey } from './i18n';
import { FAULTS, faultDescription, faultLabel } from './quality';
import { NUMBER_FIELDS, PHRASE_FIELDS, SECONDS_FIELDS, type ReviewConfig } from './reviewer';
import type { Store } from './store';
import { SettingsSubNav } from './subnav';
import { FieldError } from './ui';

export function ReviewerPage({ s }: { s: Store }) {
  const t = s.t;
  const reviewer = s.reviewer;
  return (
    <main class="cn-admin cn-page-reviewer">
      <SettingsSubNav s={s} />
      <section class="cn-panel" data-testid="cn-reviewer">
        <h2>{t('reviewerTitle')}</h2>
        <p class="cn-muted cn-small">{t('reviewerHelp')}</p>
        {reviewer.error && <p class="cn-error">{t('loadFailed', { message: reviewer.error })}</p>}
        {!reviewer.config && !reviewer.error && <p class="cn-muted">{t('loading')}</p>}
        {reviewer.config && <ReviewerForm key={JSON.stringify(reviewer.config)} s={s} config={reviewer.config} />}
      </section>
    </main>
  );
}

const linesOf = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** A number as typed; what is no number goes as typed, for the server to refuse by its field. */
function numberOf(text: string): unknown {
  const value = Number(text.trim().replace(',', '.'));
  return text.trim() !== '' && Number.isFinite(value) ? value : text.trim() || null;
}

/** Emotion words are "word: weight" lines. */
function emotionText(words: Record<string, number>): string {
  return Object.entries(words || {})
    .map(([word, weight]) => `${word}: ${weight}`)
    .join('\n');
}

function emotionOf(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of linesOf(text)) {
    const match = /^(.*?)[:=]\s*(-?[\d.,]+)\s*$/.exec(line);
    if (match) out[match[1].trim()] = numberOf(match[2]);
    else out[line] = 1;
  }
  return out;
}

function ReviewerForm({ s, config }: { s: Store; config: ReviewConfig }) {
  const t = s.t;
  const [enabled, setEnabled] = useState<string[]>(config.enabled);
  const [weights, setWeights] = useState<Record<string, string>>(() => Object.fromEntries(FAULTS.map((fault) => [fault, String(config.weights[fault] ?? '')])));
  const [numbers, setNumbers] = useState<Record<string, string>>(() => Object.fromEntries([...SECONDS_FIELDS, ...NUMBER_FIELDS].map((name) => [name, String(config[name] ?? '')])));
  const [phrases, setPhrases] = useState<Record<string, string>>(() => Object.fromEntries(PHRASE_FIELDS.map((name) => [name, ((config[name] as string[]) || []).join('\n')])));
  const [emotions, setEmotions] = useState(() => emotionText(config.emotion_words));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState<'save' | 'reset' | null>(null);
  const [confirmReset, setConfirmReset] = useState(false);
  const clear = (key: string) => errors[key] && setErrors({ ...errors, [key]: '' });

  const save = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const body: Record<string, unknown> = {
      enabled,
      weights: Object.fromEntries(FAULTS.filter((fault) => weights[fault]?.trim() !== '').map((fault) => [fault, numberOf(weights[fault])])),
      emotion_words: emotionOf(emotions),
    };
    for (const name of [...SECONDS_FIELDS, ...NUMBER_FIELDS]) body[name] = numberOf(numbers[name]);
    for (const name of PHRASE_FIELDS) body[name] = linesOf(phrases[name]);
    setBusy('save');
    const result = await s.reviewer.save(body);
    setBusy(null);
    setErrors(result);
    if (!Object.keys(result).length) s.showToast(t('reviewerSaved'), 'info');
  };

  const reset = async () => {
    if (!confirmReset) {
      setConfirmReset(true);
      setTimeout(() => setConfirmReset(false), 4000);
      return;
    }
    setConfirmReset(false);
    setBusy('reset');
    const result = await s.reviewer.save({});
    setBusy(null);
    setErrors(result);
    if (!Object.keys(result).length) s.showToast(t('reviewerResetDone'), 'info');
  };

  return (
    <form class="cn-form cn-reviewer-form" onSubmit={save} noValidate data-testid="cn-reviewer-form">
      <fieldset class="cn-fieldset" data-testid="cn-reviewer-faults">
        <legend>{t('reviewerFaults')}</legend>
        <div class="cn-reviewer-faults">
          <div class="cn-reviewer-fault cn-reviewer-fault-head" aria-hidden="true">
            <span>{t('reviewerFault')}</span>
            <span>{t('reviewerWeight')}</span>
          </div>
          <div class="cn-reviewer-fault cn-reviewer-fault-head cn-reviewer-fault-head2" aria-hidden="true">
            <span>{t('reviewerFault')}</span>
            <span>{t('reviewerWeight')}</span>
          </div>
          {FAULTS.map((fault) => (
            <div key={fault} class="cn-reviewer-fault" data-testid="cn-reviewer-fault" data-fault={fault}>
              <label class="cn-check" title={faultDescription(fault, t)}>
                <input
                  type="checkbox"
                  data-testid="cn-reviewer-enabled"
                  checked={enabled.includes(fault)}
                  onChange={(e) => {
                    const on = (e.currentTarget as HTMLInputElement).checked;
                    setEnabled(on ? [...enabled.filter((other) => other !== fault), fault] : enabled.filter((other) => other !== fault));
                    clear('enabled');
                  }}
                />
                <span>{faultLabel(fault, t)}</span>
              </label>
              <input
                type="number"
                class="cn-capacity"
                data-testid="cn-reviewer-weight"
                aria-label={`${faultLabel(fault, t)}: ${t('reviewerWeight')}`}
                value={weights[fault]}
                aria-invalid={errors[`weights.${fault}`] ? true : undefined}
                onInput={(e) => {
                  setWeights({ ...weights, [fault]: (e.currentTarget as HTMLInputElement).value });
                  clear(`weights.${fault}`);
                }}
              />
              <FieldError errors={errors} name={`weights.${fault}`} />
            </div>
          ))}
        </div>
        <FieldError errors={errors} name="enabled" />
        <FieldError errors={errors} name="weights" />
      </fieldset>

      <fieldset class="cn-fieldset" data-testid="cn-reviewer-thresholds">
        <legend>{t('reviewerThresholds')}</legend>
        <div class="cn-form-grid cn-grid3">
          {[...SECONDS_FIELDS, ...NUMBER_FIELDS].map((name) => (
            <label key={name}>
              <span>{t(`reviewer_${name}` as StringKey)}</span>
              <input
                type="text"
                inputMode="decimal"
                data-testid={`cn-reviewer-${name}`}
                value={numbers[name]}
                aria-invalid={errors[name] ? true : undefined}
                onInput={(e) => {
                  setNumbers({ ...numbers, [name]: (e.currentTarget as HTMLInputElement).value });
                  clear(name);
                }}
              />
              <small class="cn-muted">{t(`reviewerHint_${name}` as StringKey)}</small>
              <FieldError errors={errors} name={name} />
            </label>
          ))}
        </div>
      </fieldset>

      <fieldset class="cn-fieldset" data-testid="cn-reviewer-phrases">
        <legend>{t('reviewerPhrases')}</legend>
        <p class="cn-muted cn-small">{t('reviewerPhrasesHelp')}</p>
        <div class="cn-form-grid">
          {PHRASE_FIELDS.map((name) => (
            <label key={name}>
              <span>{t(`reviewer_${name}` as StringKey)}</span>
              <textarea
                data-testid={`cn-reviewer-${name}`}
                rows={5}
                value={phrases[name]}
                aria-invalid={errors[name] ? true : undefined}
                onInput={(e) => {
                  setPhrases({ ...phrases, [name]: (e.currentTarget as HTMLTextAreaElement).value });
                  clear(name);
                }}
              />
              <FieldError errors={errors} name={name} />
            </label>
          ))}
          <label>
            <span>{t('reviewer_emotion_words')}</span>
            <textarea
              data-testid="cn-reviewer-emotion_words"
              rows={5}
              value={emotions}
              aria-invalid={errors.emotion_words ? true : undefined}
              onInput={(e) => {
                setEmotions((e.currentTarget as HTMLTextAreaElement).value);
                clear('emotion_words');
              }}
            />
            <small class="cn-muted">{t('reviewerEmotionHint')}</small>
            <FieldError errors={errors} name="emotion_words" />
          </label>
        </div>
      </fieldset>

      <FieldError errors={errors} name="form" />
      <div class="cn-form-actions">
        <button type="button" class={`cn-btn${confirmReset ? ' cn-btn-danger' : ''}`} data-testid="cn-reviewer-reset" disabled={!!busy} onClick={() => void reset()}>
          {confirmReset ? t('reviewerResetConfirm') : t('reviewerReset')}
        </button>
        <button type="submit" class="cn-btn cn-btn-primary" data-testid="cn-reviewer-save" disabled={!!busy}>
          {busy === 'save' ? t('saving') : t('save')}
        </button>
      </div>
    </form>
  );
}

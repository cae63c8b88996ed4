/**
 * The automatic reviewer's settings (docs/protocol.md, `GET/PUT /api/v1/account/quality`,
 * admin): which faults it looks for and what each costs, its thresholds in seconds, and the
 * phrase lists it matches. The server answers the whole configuration, defaults included, and
 * takes overrides validated as a whole (422 naming the field); `{}` goes back to the defaults.
 */
import { ApiError, get, put } from './api';
import { fieldErrors, type FieldErrors, type Host } from './host';
import { FAULTS } from './quality';

export interface ReviewConfig {
  enabled: string[];
  weights: Record<string, number>;
  first_response_seconds: number;
  reply_seconds: number;
  handoff_seconds: number;
  emotion_threshold: number;
  burst_min_messages: number;
  burst_min_empty: number;
  repeated_min_words: number;
  emotion_words: Record<string, number>;
  [list: string]: unknown;
}

/** Thresholds in seconds, then the other numbers. */
export const SECONDS_FIELDS = ['first_response_seconds', 'reply_seconds', 'handoff_seconds'] as const;
export const NUMBER_FIELDS = ['emotion_threshold', 'burst_min_messages', 'burst_min_empty', 'repeated_min_words'] as const;
/** Phrase lists, typed one per line. */
export const PHRASE_FIELDS = [
  'stock_phrases',
  'filler_phrases',
  'pointer_phrases',
  'softeners',
  'courtesy_imperatives',
  'command_verbs_en',
  'blame_phrases',
  'human_words',
  'handoff_phrases',
  'money_words',
  'intensifiers',
  'empathy_phrases',
] as const;

export class ReviewerSettings {
  config: ReviewConfig | null = null;
  error: string | null = null;
  private serial = 0;

  constructor(private readonly host: Host) {}

  reset(): void {
    this.serial++;
    this.config = null;
    this.error = null;
  }

  async load(): Promise<void> {
    const serial = ++this.serial;
    this.error = null;
    try {
      const data = await get<{ config: ReviewConfig }>('/api/v1/account/quality');
      if (serial === this.serial) this.config = data.config;
    } catch (error) {
      if (serial === this.serial && !(error instanceof ApiError && error.status === 401)) this.error = this.host.errorText(error);
    }
    this.host.emit();
  }

  /**
   * Saves the whole configuration as the account's overrides (the server keeps no record of
   * which values were defaults), or `{}` to go back to the defaults. Errors by field.
   */
  async save(config: Record<string, unknown>): Promise<FieldErrors> {
    const known = ['enabled', 'weights', ...FAULTS.map((fault) => `weights.${fault}`), ...SECONDS_FIELDS, ...NUMBER_FIELDS, ...PHRASE_FIELDS, 'emotion_words'];
    try {
      this.config = (await put<{ config: ReviewConfig }>('/api/v1/account/quality', config)).config;
      this.serial++;
      return {};
    } catch (error) {
      return fieldErrors(error, this.host, known);
    } finally {
      this.host.emit();
    }
  }
}

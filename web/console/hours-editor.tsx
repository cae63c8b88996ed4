/**
 * Business hours: a timezone, intervals per weekday and holidays. The site settings (when the
 * chat is open) and the SLA policies (which hours the clocks count) both edit them with this.
 * Refusals are shown by the names the server uses under `hours` (`hours.timezone`,
 * `hours.weekly.mon`, `hours.holidays`), whatever the form's own prefix was.
 */
import type { FieldErrors } from './host';
import type { StringKey, Translate } from './i18n';
import { WEEKDAYS, type BusinessHours, type Weekday } from './types';
import { FieldError } from './ui';

const FALLBACK_ZONE = 'Europe/Moscow';

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || FALLBACK_ZONE;
  } catch {
    return FALLBACK_ZONE;
  }
}

/** Every zone the browser knows, for the timezone field's suggestions. */
function knownZones(): string[] {
  try {
    return ((Intl as any).supportedValuesOf?.('timeZone') as string[] | undefined) || [];
  } catch {
    return [];
  }
}

/** A working week, 09:00–18:00 Monday to Friday, in the browser's zone. */
export function defaultHours(): BusinessHours {
  const weekday: [string, string][] = [['09:00', '18:00']];
  return { timezone: browserZone(), weekly: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday }, holidays: [] };
}

/** What is sent: intervals and holidays left blank are dropped rather than refused. */
export function cleanHours(hours: BusinessHours | null): BusinessHours | null {
  if (!hours) return null;
  const weekly: BusinessHours['weekly'] = {};
  for (const day of WEEKDAYS) {
    const intervals = (hours.weekly[day] || []).filter(([start, end]) => start.trim() || end.trim()).map(([start, end]) => [start.trim(), end.trim()] as [string, string]);
    if (intervals.length) weekly[day] = intervals;
  }
  return { timezone: hours.timezone.trim(), weekly, holidays: hours.holidays.filter((day) => day.trim()) };
}

/** The error keys the editor shows, for `fieldErrors`. */
export const HOURS_FIELDS = ['hours', 'hours.timezone', 'hours.weekly', ...WEEKDAYS.map((day) => `hours.weekly.${day}`), 'hours.holidays'];

interface Props {
  t: Translate;
  hours: BusinessHours | null;
  /** `errorKey`: the error the change makes stale. */
  onChange: (hours: BusinessHours | null, errorKey: string) => void;
  errors: FieldErrors;
  /** The switch's label, and what "off" means. */
  onLabel: StringKey;
  offText: StringKey;
}

export function HoursEditor({ t, hours, onChange, errors, onLabel, offText }: Props) {
  const zones = knownZones();
  const setDay = (day: Weekday, intervals: [string, string][]) => hours && onChange({ ...hours, weekly: { ...hours.weekly, [day]: intervals } }, `hours.weekly.${day}`);
  return (
    <>
      <label class="cn-check">
        <input type="checkbox" data-testid="cn-hours-on" checked={!!hours} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked ? defaultHours() : null, 'hours')} />
        <span>{t(onLabel)}</span>
      </label>
      {!hours && <p class="cn-muted cn-small">{t(offText)}</p>}
      <FieldError errors={errors} name="hours" />
      {hours && (
        <>
          <label>
            <span>{t('hoursTimezone')}</span>
            <input
              type="text"
              data-testid="cn-hours-timezone"
              list="cn-zones"
              value={hours.timezone}
              maxLength={64}
              placeholder={FALLBACK_ZONE}
              aria-invalid={errors['hours.timezone'] ? true : undefined}
              onInput={(e) => onChange({ ...hours, timezone: (e.currentTarget as HTMLInputElement).value }, 'hours.timezone')}
            />
            {zones.length > 0 && (
              <datalist id="cn-zones">
                {zones.map((zone) => (
                  <option key={zone} value={zone} />
                ))}
              </datalist>
            )}
            <FieldError errors={errors} name="hours.timezone" />
          </label>
          <FieldError errors={errors} name="hours.weekly" />
          <table class="cn-hours-table">
            <tbody>
              {WEEKDAYS.map((day) => (
                <DayRow key={day} t={t} day={day} intervals={hours.weekly[day] || []} onChange={(intervals) => setDay(day, intervals)} error={errors[`hours.weekly.${day}`]} />
              ))}
            </tbody>
          </table>
          <div class="cn-holidays" data-testid="cn-holidays">
            <span class="cn-label">{t('hoursHolidays')}</span>
            {hours.holidays.map((day, index) => (
              <span key={index} class="cn-holiday">
                <input
                  type="date"
                  data-testid={`cn-holiday-${index}`}
                  value={day}
                  onInput={(e) => onChange({ ...hours, holidays: hours.holidays.map((other, i) => (i === index ? (e.currentTarget as HTMLInputElement).value : other)) }, 'hours.holidays')}
                />
                <button type="button" class="cn-icon-btn cn-icon-dark" aria-label={t('remove')} title={t('remove')} onClick={() => onChange({ ...hours, holidays: hours.holidays.filter((_, i) => i !== index) }, 'hours.holidays')}>
                  ×
                </button>
              </span>
            ))}
            <button type="button" class="cn-btn cn-btn-small" data-testid="cn-holiday-add" onClick={() => onChange({ ...hours, holidays: [...hours.holidays, ''] }, 'hours.holidays')}>
              + {t('hoursAddHoliday')}
            </button>
            <FieldError errors={errors} name="hours.holidays" />
          </div>
        </>
      )}
    </>
  );
}

function DayRow({ t, day, intervals, onChange, error }: { t: Translate; day: Weekday; intervals: [string, string][]; onChange: (intervals: [string, string][]) => void; error?: string }) {
  const edit = (index: number, side: 0 | 1, value: string) =>
    onChange(intervals.map((interval, i) => (i === index ? ((side === 0 ? [value, interval[1]] : [interval[0], value]) as [string, string]) : interval)));
  return (
    <tr data-testid={`cn-hours-${day}`}>
      <th>{t(`day_${day}`)}</th>
      <td>
        {intervals.length === 0 && <span class="cn-muted">{t('hoursClosed')}</span>}
        {intervals.map(([start, end], index) => (
          <span key={index} class="cn-interval">
            <input type="text" class="cn-time" data-testid={`cn-hours-${day}-${index}-start`} value={start} placeholder="09:00" maxLength={5} inputMode="numeric" aria-label={t('hoursFrom')} aria-invalid={error ? true : undefined} onInput={(e) => edit(index, 0, (e.currentTarget as HTMLInputElement).value)} />
            –
            <input type="text" class="cn-time" data-testid={`cn-hours-${day}-${index}-end`} value={end} placeholder="18:00" maxLength={5} inputMode="numeric" aria-label={t('hoursTo')} aria-invalid={error ? true : undefined} onInput={(e) => edit(index, 1, (e.currentTarget as HTMLInputElement).value)} />
            <button type="button" class="cn-icon-btn cn-icon-dark" aria-label={t('remove')} title={t('remove')} onClick={() => onChange(intervals.filter((_, i) => i !== index))}>
              ×
            </button>
          </span>
        ))}
        <button type="button" class="cn-btn cn-btn-small cn-btn-quiet" data-testid={`cn-hours-${day}-add`} onClick={() => onChange([...intervals, intervals.length ? ['', ''] : ['09:00', '18:00']])}>
          + {t('hoursAddInterval')}
        </button>
        {error && (
          <div class="cn-field-error" data-testid="cn-field-error" data-field={`hours.weekly.${day}`} role="alert">
            {error}
          </div>
        )}
      </td>
    </tr>
  );
}

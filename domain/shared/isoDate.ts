/**
 * Whether the calendar and clock fields at the start of an ISO 8601 text exist: `Date.parse`
 * rolls 2026-02-30 over into March and would let it pass. Checks `YYYY-MM-DD` and, when
 * present, `hh:mm[:ss]` (hour 0-23, minute and second 0-59); the text's shape is the
 * caller's pattern's business.
 */
export const calendarFieldsExist = (text: string): boolean => {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text)
  if (match === null) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return false
  }
  if (match[4] !== undefined && (Number(match[4]) > 23 || Number(match[5]) > 59)) return false
  return match[6] === undefined || Number(match[6]) <= 59
}

/**
 * True when `value` has at most `max` Unicode code points: the length JSON Schema's `maxLength`
 * means. JavaScript's `length` counts UTF-16 units (two for an emoji), so a rule checked with it
 * would refuse strings `/openapi.json` allows.
 */
export const hasAtMostCodePoints = (value: string, max: number): boolean => {
  // Every code point is one or two units: the length settles most strings without a walk.
  if (value.length <= max) return true
  if (value.length > 2 * max) return false
  let count = 0
  for (const _ of value) if (++count > max) return false
  return true
}

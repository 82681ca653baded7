/** Digest comparison in constant time: the time taken says nothing about how much matched. */
export const constantTimeEqual = (a: string, b: string): boolean => {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ (b.charCodeAt(i) || 0)
  return difference === 0
}

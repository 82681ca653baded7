/**
 * Punycode (RFC 3492), the encoding of IDNA A-labels (`bücher` ↔ `bcher-kva`). Pure, so
 * the domain can turn Unicode hostnames into their A-labels without node's `url`.
 */
const base = 36
const tMin = 1
const tMax = 26
const skew = 38
const damp = 700
const initialBias = 72
const initialN = 128
const maxInt = 0x7fffffff

const adapt = (delta: number, numPoints: number, firstTime: boolean): number => {
  let d = firstTime ? Math.floor(delta / damp) : delta >> 1
  d += Math.floor(d / numPoints)
  let k = 0
  while (d > ((base - tMin) * tMax) >> 1) {
    d = Math.floor(d / (base - tMin))
    k += base
  }
  return k + Math.floor(((base - tMin + 1) * d) / (d + skew))
}

const digitChar = (digit: number): string => String.fromCharCode(digit < 26 ? 97 + digit : 22 + digit)

const digitValue = (code: number): number => {
  if (code >= 48 && code <= 57) return code - 22
  if (code >= 65 && code <= 90) return code - 65
  if (code >= 97 && code <= 122) return code - 97
  return base
}

const threshold = (k: number, bias: number) => (k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias)

/** Encodes one label's code points; `undefined` on overflow. */
export const encode = (input: string): string | undefined => {
  const points = Array.from(input, (char) => char.codePointAt(0)!)
  let output = points
    .filter((point) => point < 0x80)
    .map((point) => String.fromCharCode(point))
    .join("")
  const basicLength = output.length
  let handled = basicLength
  if (basicLength > 0) output += "-"
  let n = initialN
  let delta = 0
  let bias = initialBias
  while (handled < points.length) {
    const m = Math.min(...points.filter((point) => point >= n))
    if (m - n > Math.floor((maxInt - delta) / (handled + 1))) return undefined
    delta += (m - n) * (handled + 1)
    n = m
    for (const point of points) {
      if (point < n && ++delta > maxInt) return undefined
      if (point === n) {
        let q = delta
        for (let k = base; ; k += base) {
          const t = threshold(k, bias)
          if (q < t) break
          output += digitChar(t + ((q - t) % (base - t)))
          q = Math.floor((q - t) / (base - t))
        }
        output += digitChar(q)
        bias = adapt(delta, handled + 1, handled === basicLength)
        delta = 0
        handled++
      }
    }
    delta++
    n++
  }
  return output
}

/** Decodes one label's Punycode; `undefined` when it is not valid Punycode. */
export const decode = (input: string): string | undefined => {
  const output: Array<number> = []
  const lastDelimiter = input.lastIndexOf("-")
  const basic = Math.max(lastDelimiter, 0)
  for (let j = 0; j < basic; j++) {
    const code = input.charCodeAt(j)
    if (code >= 0x80) return undefined
    output.push(code)
  }
  let n = initialN
  let bias = initialBias
  let i = 0
  for (let index = basic > 0 ? basic + 1 : 0; index < input.length; ) {
    const oldi = i
    let w = 1
    for (let k = base; ; k += base) {
      if (index >= input.length) return undefined
      const digit = digitValue(input.charCodeAt(index++))
      if (digit >= base || digit > Math.floor((maxInt - i) / w)) return undefined
      i += digit * w
      const t = threshold(k, bias)
      if (digit < t) break
      if (w > Math.floor(maxInt / (base - t))) return undefined
      w *= base - t
    }
    const length = output.length + 1
    bias = adapt(i - oldi, length, oldi === 0)
    if (Math.floor(i / length) > maxInt - n) return undefined
    n += Math.floor(i / length)
    i %= length
    if (n > 0x10ffff) return undefined
    output.splice(i++, 0, n)
  }
  return String.fromCodePoint(...output)
}

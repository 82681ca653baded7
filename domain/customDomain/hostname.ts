import { Result } from "effect"
import { decode, encode } from "./punycode.ts"

/**
 * The rules of a custom domain's hostname (CONTRACT "Custom domains"), written out once:
 *
 * 1. Normalised first: surrounding spaces and one trailing dot go, ideographic and
 *    full-width dots are dots, each label is NFKC-normalised and lower-cased (a close
 *    reading of UTS #46's mapping: `Bücher.EXAMPLE.com.` is `bücher.example.com`), and a
 *    label that is not ASCII becomes its IDNA A-label (`xn--bcher-kva`). A label given as an
 *    A-label must decode; a Unicode label may hold letters, marks and digits only.
 * 2. Then it must be a fully qualified name of at least two labels, each 1–63 characters of
 *    `a-z0-9-`, neither starting nor ending with `-`, at most 253 characters in all;
 * 3. not an IP literal (a last label of digits only, or anything with `:`), no wildcard
 *    (`*`), not `localhost` nor under it;
 * 4. not the proxy base domain (`PROXY_BASE_DOMAIN`) nor under it (those are our own
 *    preview hosts), and not the host of `PUBLIC_BASE_URL` (the API's own).
 *
 * Each refusal says which rule in a sentence for the person who typed it.
 */
export interface HostnameContext {
  readonly proxyBaseDomain: string
  /** The host of PUBLIC_BASE_URL, lower case. */
  readonly publicHost: string
}

const maxLength = 253
const asciiLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const unicodeLabel = /^[\p{L}\p{M}\p{N}-]+$/u

/** One label to its ASCII form, or why it cannot be one. */
const toAsciiLabel = (label: string): Result.Result<string, string> => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  if (/^[\x00-\x7f]*$/.test(label)) {
    const lower = label.replace(/[A-Z]+/g, (letters) => letters.toLowerCase())
    if (lower.startsWith("xn--")) {
      const decoded = decode(lower.slice(4))
      if (decoded === undefined || decoded.length === 0 || encode(decoded) !== lower.slice(4))
        return Result.fail(`the label "${label}" is not a valid IDNA A-label`)
    }
    return Result.succeed(lower)
  }
  const mapped = label.normalize("NFKC").toLowerCase()
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  if (/^[\x00-\x7f]*$/.test(mapped)) return toAsciiLabel(mapped)
  if (!unicodeLabel.test(mapped))
    return Result.fail(`the label "${label}" may hold only letters, digits and hyphens`)
  const encoded = encode(mapped)
  return encoded === undefined
    ? Result.fail(`the label "${label}" cannot be written as an IDNA A-label`)
    : Result.succeed(`xn--${encoded}`)
}

/** The hostname as DNS compares it, in ASCII; the failure is a sentence naming the broken rule. */
export const normalizeCustomHostname = (input: string): Result.Result<string, string> => {
  let value = input.trim().replace(/[\u3002\uff0e\uff61]/g, ".")
  if (value.endsWith(".")) value = value.slice(0, -1)
  if (value.length === 0) return Result.fail("must be a hostname such as www.example.com")
  if (value.includes("*")) return Result.fail("must be one hostname, not a wildcard")
  if (value.includes(":") || value.includes("/") || value.includes("@"))
    return Result.fail("must be a hostname such as www.example.com, without scheme, port or path")
  const labels: Array<string> = []
  for (const label of value.split(".")) {
    if (label.length === 0) return Result.fail("must not have empty labels (two dots in a row)")
    const ascii = toAsciiLabel(label)
    if (Result.isFailure(ascii)) return Result.fail(`must be a valid hostname: ${ascii.failure}`)
    labels.push(ascii.success)
  }
  return Result.succeed(labels.join("."))
}

/** Rules 2 and 3 on a normalised name. */
export const hostnameShapeProblem = (hostname: string): string | undefined => {
  const labels = hostname.split(".")
  if (labels.length < 2)
    return "must be a fully qualified name with at least two labels, such as shop.example.com"
  if (hostname.length > maxLength) return `must be at most ${maxLength} characters long`
  for (const label of labels) {
    if (label.length > 63)
      return `each label must be at most 63 characters ("${label.slice(0, 20)}…" is longer)`
    if (!asciiLabel.test(label))
      return `each label must be letters, digits and inner hyphens ("${label}" is not)`
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return "must be a hostname, not an IP address"
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return "must not be localhost"
  return undefined
}

const isAtOrUnder = (hostname: string, domain: string) =>
  hostname === domain || hostname.endsWith(`.${domain}`)

/** All four rules: the ASCII hostname, or the sentence naming the first one broken. */
export const parseCustomHostname = (input: string, context: HostnameContext): Result.Result<string, string> =>
  Result.flatMap(normalizeCustomHostname(input), (hostname) => {
    const shape = hostnameShapeProblem(hostname)
    if (shape !== undefined) return Result.fail(shape)
    const proxyBase = context.proxyBaseDomain.toLowerCase()
    if (isAtOrUnder(hostname, proxyBase))
      return Result.fail(`must not be ${proxyBase} or a name under it (those are the preview hosts)`)
    if (hostname === context.publicHost.toLowerCase()) return Result.fail("must not be the API's own host")
    return Result.succeed(hostname)
  })

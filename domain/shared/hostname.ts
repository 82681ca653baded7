import { Schema, SchemaTransformation } from "effect"

/**
 * A public DNS name: labels of 1–63 letters, digits and inner hyphens joined by dots, at least
 * two of them, the last starting with a letter (so never an IP literal), 4–253 characters in
 * all. Written without lookarounds, so JSON Schema tools (which take a pattern as ECMA-262, and
 * generators that build strings from it) read it as we do; the length bounds are JSON Schema's
 * `minLength`/`maxLength` beside it.
 */
const hostnamePattern = (letters: string) => {
  const label = `[${letters}0-9](?:[${letters}0-9-]{0,61}[${letters}0-9])?`
  const last = `[${letters}](?:[${letters}0-9-]{0,61}[${letters}0-9])?`
  return new RegExp(`^(?:${label}\\.)+${last}$`, "u")
}
const hostnameRegExp = hostnamePattern("a-z")
/** The same in any letter case: what `normalizeHostname` turns into a hostname. */
const hostnameInputRegExp = hostnamePattern("A-Za-z")
const hostnameLength = { minLength: 4, maxLength: 253 } as const

// The pattern admits ASCII only, so `length` counts what JSON Schema counts.
const hasHostnameLength = (value: string) =>
  value.length >= hostnameLength.minLength && value.length <= hostnameLength.maxLength

/** True for a public DNS hostname such as `www.example.com`: no scheme, port, path or IP literal. */
export const isHostname = (value: string): boolean => hasHostnameLength(value) && hostnameRegExp.test(value)

/**
 * A hostname as people type it, lower-cased the way DNS compares names: only A–Z change.
 * (A Unicode case mapping could turn a non-ASCII letter into an ASCII one: the Kelvin
 * sign, U+212A, lower-cases to "k", so `www.\u212Acme.com` would pass as `www.kcme.com`.)
 */
export const normalizeHostname = (value: string): string =>
  value.replace(/[A-Z]+/g, (letters) => letters.toLowerCase())

const hostnameMessage = "must be a hostname such as www.example.com"

/** A lower-case public hostname (`cdn.acme.com`), never a URL. */
export const Hostname = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter((value: string) => isHostname(value) || hostnameMessage, {
      expected: "a hostname such as www.example.com",
      // Exact: the pattern and the bounds are the whole rule (`format` is implied by them).
      toJsonSchema: () => ({ pattern: hostnameRegExp.source, ...hostnameLength, format: "hostname" })
    })
  )
)
export type Hostname = typeof Hostname.Type

/**
 * A hostname in a request, in any letter case, kept lower case (`WWW.Acme.com` is `www.acme.com`).
 * The check sits on the string as sent, so `/openapi.json` states it; it has no `expected` of its
 * own, so a union naming it still reads "a hostname such as …" once.
 */
export const HostnameInput = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter(
      (value: string) => (hasHostnameLength(value) && hostnameInputRegExp.test(value)) || hostnameMessage,
      {
        toJsonSchema: () => ({ pattern: hostnameInputRegExp.source, ...hostnameLength, format: "hostname" })
      }
    )
  ),
  Schema.annotate({
    description:
      "A public DNS hostname such as www.example.com: no scheme, port, path or IP address; any letter case, kept lower case."
  }),
  Schema.decodeTo(
    Hostname,
    SchemaTransformation.transform({ decode: normalizeHostname, encode: (host) => host })
  )
)

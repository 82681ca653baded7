import { Schema } from "effect"

const label = "(?!-)[a-z0-9-]{1,63}(?<!-)"
const hostnamePattern = new RegExp(`^(?=.{4,253}$)(?:${label}\\.)+[a-z][a-z0-9-]{0,62}(?<!-)$`)

/** True for a public DNS hostname such as `www.example.com`: no scheme, port, path or IP literal. */
export const isHostname = (value: string): boolean => hostnamePattern.test(value)

/**
 * A hostname as people type it, lower-cased the way DNS compares names: only A–Z change.
 * (A Unicode case mapping could turn a non-ASCII letter into an ASCII one: the Kelvin
 * sign, U+212A, lower-cases to "k", so `www.\u212Acme.com` would pass as `www.kcme.com`.)
 */
export const normalizeHostname = (value: string): string =>
  value.replace(/[A-Z]+/g, (letters) => letters.toLowerCase())

/** A lower-case public hostname (`cdn.acme.com`), never a URL. */
export const Hostname = Schema.String.pipe(
  Schema.check(
    Schema.makeFilter((value: string) => isHostname(value) || "must be a hostname such as www.example.com", {
      expected: "a hostname such as www.example.com"
    })
  )
)
export type Hostname = typeof Hostname.Type

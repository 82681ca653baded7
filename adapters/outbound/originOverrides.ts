/**
 * `ORIGIN_OVERRIDES` (CONTRACT.md, Edge): a JSON object, origin (`https://host[:port]`) →
 * base URL its requests are sent to instead (`http://127.0.0.1:9000`). Only the connection
 * moves: the request keeps its URL's `Host` (as `curl --connect-to` does), so a probe of a
 * tenant's surface overridden to a local edge still reaches that tenant. An overridden
 * origin is not resolved and not held to the private-address rules: it is for development
 * and tests, and refused at start under `NODE_ENV=production`.
 */
export type OriginOverrides = ReadonlyMap<string, string>

export class OriginOverridesError extends Error {
  override readonly name = "OriginOverridesError"
}

const bareOrigin = (value: string, what: string): string => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new OriginOverridesError(`ORIGIN_OVERRIDES: ${what} "${value}" is not a URL`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OriginOverridesError(`ORIGIN_OVERRIDES: ${what} "${value}" must be http or https`)
  }
  if (
    url.username !== "" ||
    url.password !== "" ||
    url.search !== "" ||
    url.hash !== "" ||
    url.pathname !== "/"
  ) {
    throw new OriginOverridesError(
      `ORIGIN_OVERRIDES: ${what} "${value}" must be an origin, without path or query`
    )
  }
  return url.origin
}

/** Parses the variable; unset or empty is no override. Throws an `OriginOverridesError` with a sentence. */
export const parseOriginOverrides = (raw: string | undefined, production: boolean): OriginOverrides => {
  const overrides = new Map<string, string>()
  if (raw === undefined || raw.trim() === "") return overrides
  if (production) {
    throw new OriginOverridesError(
      "ORIGIN_OVERRIDES is for development and tests; it is refused with NODE_ENV=production"
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new OriginOverridesError(
      'ORIGIN_OVERRIDES must be a JSON object such as {"https://www.acme.test":"http://127.0.0.1:9000"}'
    )
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new OriginOverridesError("ORIGIN_OVERRIDES must be a JSON object of origin → base URL")
  }
  for (const [origin, target] of Object.entries(parsed)) {
    if (typeof target !== "string") {
      throw new OriginOverridesError(`ORIGIN_OVERRIDES: the target of "${origin}" must be a string`)
    }
    overrides.set(bareOrigin(origin, "origin"), bareOrigin(target, "target"))
  }
  return overrides
}

import type { HttpServerRequest } from "effect/http"

const stateChanging = new Set(["POST", "PUT", "PATCH", "DELETE"])

const originOf = (value: string): string | undefined => {
  try {
    return new URL(value).origin
  } catch {
    return undefined
  }
}

/**
 * CONTRACT.md, Sessions: a browser sends the `__session` cookie with any request to our
 * host, whichever page made it (cross-site request forgery). A state-changing request
 * (POST, PUT, PATCH, DELETE) authenticated by the cookie must therefore say where it comes
 * from: its `Origin`, or failing that its `Referer`, must be one of `allowedOrigins`
 * (`ALLOWED_ORIGINS`). Reads need no such check, nor does a bearer header, which a page
 * on another site cannot make a browser send. Returns why the request is refused, or
 * undefined when it may go on.
 */
export const cookieOriginRefusal = (
  request: HttpServerRequest.HttpServerRequest,
  allowedOrigins: ReadonlySet<string>
): string | undefined => {
  if (!stateChanging.has(request.method)) return undefined
  const origin = request.headers.origin
  const referer = request.headers.referer
  const claimed =
    origin !== undefined ? originOf(origin) : referer !== undefined ? originOf(referer) : undefined
  if (origin === undefined && referer === undefined)
    return "A change made with a session cookie must carry an Origin or Referer header"
  return claimed !== undefined && allowedOrigins.has(claimed)
    ? undefined
    : "A change made with a session cookie must come from an allowed origin (ALLOWED_ORIGINS)"
}

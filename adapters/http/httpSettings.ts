import { Context } from "effect"

/** What the environment says about the HTTP edge itself (see adapters/runtime/settings.ts). */
export interface HttpSettingsShape {
  /**
   * Origins (`scheme://host[:port]`) a state-changing request authenticated by the
   * `__session` cookie may come from (`ALLOWED_ORIGINS`; see handlers/cookieOrigin.ts).
   */
  readonly allowedOrigins: ReadonlyArray<string>
  /**
   * How many proxies in front of this server are trusted to append to `X-Forwarded-For`
   * (`TRUST_PROXY`): 0, the default, trusts none and names the client by the socket's
   * peer; n names it by the n-th entry from the right (see clientAddress.ts).
   */
  readonly trustProxy: number
  /** `INTERNAL_API_TOKEN`: a bearer that may read the internal exports (the Traefik configuration) from anywhere. */
  readonly internalApiToken?: string | undefined
}

export class HttpSettings extends Context.Service<HttpSettings, HttpSettingsShape>()(
  "tenantry/adapters/http/HttpSettings"
) {}

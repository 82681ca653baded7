import { Context, type Effect, Schema } from "effect"

/** Who a valid session token says the caller is. */
export interface Session {
  readonly userId: string
  readonly email: string | undefined
  /** Seconds since the epoch after which the token is no longer accepted. */
  readonly expiresAt: number
}

/** The token was missing, malformed, expired, not yet valid, or not signed by a trusted key. */
export class InvalidSession extends Schema.TaggedError<InvalidSession>()("InvalidSession", {
  reason: Schema.String
}) {}

/** Verifies session tokens (signed JWTs, as an identity provider such as Clerk issues them). */
export class Sessions extends Context.Service<
  Sessions,
  { readonly verify: (token: string) => Effect.Effect<Session, InvalidSession> }
>()("tenantry/application/ports/Sessions") {}

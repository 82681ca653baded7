import { Context, type Effect, Schema } from "effect"

/** The tenant's data key is gone (the tenant was deleted), so what it sealed is unreadable for good. */
export class SecretShredded extends Schema.TaggedError<SecretShredded>()("SecretShredded", {
  tenantId: Schema.String
}) {
  readonly code = "secret_shredded"
}

/**
 * Encryption at rest under per-tenant data keys (envelope encryption: each tenant's key
 * is wrapped by the master key). Deleting a tenant shreds its key, making every value
 * sealed for it unreadable, including copies inside the immutable event log. The shred is
 * the storage's part of the deletion (committed with it, never after it), so the port has
 * no `shred`: once the deletion has committed, `open` fails with `SecretShredded` on every
 * node, and `seal` never makes the tenant a key again.
 */
export class SecretBox extends Context.Service<
  SecretBox,
  {
    readonly seal: (tenantId: string, plaintext: string) => Effect.Effect<string, SecretShredded>
    readonly open: (tenantId: string, sealed: string) => Effect.Effect<string, SecretShredded>
    /**
     * A keyed fingerprint (HMAC under the tenant's data key) to compare values without
     * revealing them; it dies with the key like everything sealed (`SecretShredded`).
     */
    readonly fingerprint: (tenantId: string, text: string) => Effect.Effect<string, SecretShredded>
  }
>()("tenantry/application/ports/SecretBox") {}

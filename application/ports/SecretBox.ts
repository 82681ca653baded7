import { Context, type Effect, Schema } from "effect"

/** The tenant's data key is gone (the tenant was deleted), so what it sealed is unreadable for good. */
export class SecretShredded extends Schema.TaggedError<SecretShredded>()("SecretShredded", {
  tenantId: Schema.String
}) {}

/**
 * Encryption at rest under per-tenant data keys (envelope encryption: each tenant's key
 * is wrapped by the master key). Shredding a tenant's key makes every value sealed for
 * it unreadable, including copies inside the immutable event log.
 */
export class SecretBox extends Context.Service<
  SecretBox,
  {
    readonly seal: (tenantId: string, plaintext: string) => Effect.Effect<string, SecretShredded>
    readonly open: (tenantId: string, sealed: string) => Effect.Effect<string, SecretShredded>
    /**
     * A keyed fingerprint (HMAC under the tenant's data key) to compare values without
     * revealing them; it dies with the key like everything sealed.
     */
    readonly fingerprint: (tenantId: string, text: string) => Effect.Effect<string>
    readonly shred: (tenantId: string) => Effect.Effect<void>
  }
>()("tenantry/application/ports/SecretBox") {}

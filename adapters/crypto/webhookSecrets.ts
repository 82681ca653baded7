import { Layer } from "effect"
import { WebhookSecrets } from "../../application/ports/WebhookStore.ts"
import { constantTimeEqualHex, randomSecret, sha256Hex } from "./secrets.ts"

/**
 * sha256 first, so both sides of the comparison are 64 hex characters whatever was
 * presented; then constantTimeEqualHex, so the time taken says nothing of the content.
 */
export const secretMatches = (presented: string, storedDigest: string): boolean =>
  constantTimeEqualHex(sha256Hex(presented), storedDigest)

export const layer = Layer.succeed(
  WebhookSecrets,
  WebhookSecrets.of({ generate: (prefix) => randomSecret(prefix), digest: sha256Hex, matches: secretMatches })
)

import { Context } from "effect"
import { constantTimeEqualHex, sha256Hex } from "../crypto/secrets.ts"

/**
 * The bearer tokens `POST /api/edge/logs` accepts (EDGE_TOKENS; in development the one
 * generated into DATA_DIR, see adapters/runtime/edgeKeys.ts). Only their SHA-256 digests
 * are kept; a presented token is hashed and compared with every digest in constant time
 * (no early exit), so neither the time taken nor which token matched says anything.
 */
export class EdgeTokens extends Context.Service<
  EdgeTokens,
  { readonly verify: (presented: string) => boolean }
>()("tenantry/http/EdgeTokens") {}

export const makeEdgeTokens = (tokens: ReadonlyArray<string>): EdgeTokens["Service"] => {
  const digests = tokens.map(sha256Hex)
  return EdgeTokens.of({
    verify: (presented) => {
      const digest = sha256Hex(presented)
      let matched = false
      for (const stored of digests) matched = constantTimeEqualHex(stored, digest) || matched
      return matched && presented !== ""
    }
  })
}

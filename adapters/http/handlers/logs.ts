import { gunzip } from "node:zlib"
import { Effect, Layer, Redacted } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { ingestRequestLogs } from "../../../application/logs/ingestRequestLogs.ts"
import { requestLogs } from "../../../application/logs/readRequestLogs.ts"
import { Api } from "../api/Api.ts"
import { PayloadTooLarge, Unauthorized, ValidationFailed } from "../api/errors.ts"
import { EdgeAuthentication, edgeLogsMaxBodyBytes } from "../api/logs.ts"
import { EdgeTokens } from "../edgeTokens.ts"
import { respond } from "../errorMap.ts"
import { requestContext } from "./requestContext.ts"

export const EdgeAuthenticationLive = Layer.effect(
  EdgeAuthentication,
  Effect.gen(function* () {
    const tokens = yield* EdgeTokens
    const refused = new Unauthorized({
      message: "Send one of the edge tokens (EDGE_TOKENS) as a Bearer token"
    })
    return EdgeAuthentication.of({
      bearer: (effect, { credential }) =>
        tokens.verify(Redacted.value(credential)) ? effect : Effect.fail(refused)
    })
  })
)

const batchIdPattern = /^[A-Za-z0-9_.:-]{1,128}$/
const ndjsonTypes = new Set(["application/x-ndjson", "application/ndjson", "application/jsonl"])
const textDecoder = new TextDecoder()

const invalidHeader = (header: string, problem: string) =>
  new ValidationFailed({ message: "The request is invalid", errors: { [header]: [problem] } })

const tooLarge = new PayloadTooLarge({
  message: `The body is over ${edgeLogsMaxBodyBytes} bytes once decompressed`,
  maxBytes: edgeLogsMaxBodyBytes
})

/**
 * Inflates a gzip body, never past the limit: zlib stops at `maxOutputLength` (a gzip
 * bomb costs at most 5 MiB of memory, then 413); anything not gzip is 400.
 */
const inflate = (body: ArrayBuffer) =>
  Effect.callback<Uint8Array, PayloadTooLarge | ValidationFailed>((resume) => {
    gunzip(new Uint8Array(body), { maxOutputLength: edgeLogsMaxBodyBytes }, (error, result) => {
      if (error === null) resume(Effect.succeed(result))
      else if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") resume(Effect.fail(tooLarge))
      else
        resume(
          Effect.fail(
            new ValidationFailed({ message: "The body is invalid", errors: { body: ["is not valid gzip"] } })
          )
        )
    })
  })

/** Edge log ingestion: the token was checked by EdgeAuthentication; headers, then the body. */
export const EdgeLogsHandlers = HttpApiBuilder.group(Api, "edgeLogs", (handlers) =>
  handlers.handleRaw("ingestLogs", ({ request }) =>
    Effect.gen(function* () {
      const headers = request.headers
      const contentType = headers["content-type"]?.split(";")[0]?.trim().toLowerCase()
      if (contentType !== undefined && contentType !== "" && !ndjsonTypes.has(contentType)) {
        return yield* invalidHeader("content-type", "must be application/x-ndjson")
      }
      const encoding = headers["content-encoding"]?.trim().toLowerCase() ?? ""
      if (encoding !== "" && encoding !== "identity" && encoding !== "gzip" && encoding !== "x-gzip") {
        return yield* invalidHeader("content-encoding", "must be gzip, or absent")
      }
      const batchId = headers["x-batch-id"]
      if (batchId !== undefined && !batchIdPattern.test(batchId)) {
        return yield* invalidHeader("x-batch-id", "must be 1-128 characters of A-Z, a-z, 0-9, _ . : -")
      }
      // Held to the 5 MiB limit while it streams in (413 beyond, from the envelope).
      const body = yield* Effect.orDie(request.arrayBuffer)
      const bytes = encoding === "gzip" || encoding === "x-gzip" ? yield* inflate(body) : new Uint8Array(body)
      const answer = yield* ingestRequestLogs({ batchId, text: textDecoder.decode(bytes) })
      return HttpServerResponse.jsonUnsafe(answer)
    })
  )
)

export const LogsHandlers = HttpApiBuilder.group(Api, "logs", (handlers) =>
  handlers.handle("requestLogs", ({ params, query }) =>
    Effect.flatMap(requestContext, (context) => requestLogs(context, params.slug, query)).pipe(respond)
  )
)

import type { IncomingMessage, ServerResponse } from "node:http"
import { Effect, Exit } from "effect"
import { type CacheRefreshOutcome, receiveCacheRefresh } from "../../application/webhooks/receiveWebhook.ts"
import { errorBody } from "./envelope.ts"
import { replyJson } from "./nodeReply.ts"
import { nodeRequestId } from "./requestId.ts"

/** The largest body a webhook receiver accepts (413 beyond, never buffered whole). */
export const webhookMaxBodyBytes = 64 * 1024

export const noSuchWebhook = "No such webhook"

const shortString = (value: unknown) =>
  typeof value === "string" && value !== "" ? value.slice(0, 200) : null

/** Best effort: Contentful's topic header, Prismic's `type`, Storyblok's `action` or `event`. */
export const eventTypeOf = (
  provider: string,
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  body: Record<string, unknown> | undefined
): string | null => {
  switch (provider) {
    case "contentful":
      return shortString(headers["x-contentful-topic"])
    case "prismic":
      return shortString(body?.type)
    case "storyblok":
      return shortString(body?.action) ?? shortString(body?.event)
    default:
      return null
  }
}

const textDecoder = new TextDecoder()

/**
 * The delivery's event type, for the receiver to ask once the delivery is authenticated:
 * a flood of wrong secrets costs no parsing. A body that is not a JSON object is simply
 * not inspected.
 */
export const deliveryEventType =
  (
    headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
    body: Uint8Array | undefined
  ) =>
  (provider: string): string | null => {
    if (provider === "contentful" || body === undefined || body.byteLength === 0)
      return eventTypeOf(provider, headers, undefined)
    let parsed: unknown
    try {
      parsed = JSON.parse(textDecoder.decode(body))
    } catch {
      parsed = undefined
    }
    return eventTypeOf(
      provider,
      headers,
      typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined
    )
  }

/** What the receiver answers for an outcome, whichever door the delivery came in by. */
export const cacheRefreshAnswer = (
  outcome: CacheRefreshOutcome,
  requestId: string
): { readonly status: number; readonly body: Record<string, unknown> } => {
  switch (outcome._tag) {
    case "NotFound":
      return { status: 404, body: errorBody(404, { message: noSuchWebhook }) }
    case "Failed":
      return { status: 500, body: errorBody(500, { message: "Something went wrong on our side", requestId }) }
    case "NothingToRefresh":
      return { status: 200, body: { ok: true, refreshed: false } }
    case "Refreshed": {
      const { apiCacheVersion, assetCacheVersion, htmlCacheVersion } = outcome.versions
      return {
        status: 200,
        body: {
          ok: true,
          refreshed: true,
          versions: { apiCacheVersion, assetCacheVersion, htmlCacheVersion }
        }
      }
    }
  }
}

/**
 * The cache-refresh receiver served straight on node:http, for the receiver gate to hand
 * each delivery it does not refuse. The receivers' hot path: no router, no middleware, no
 * schema, no per-request context, which is most of a delivery's CPU when it goes through
 * the Effect HTTP app. It answers exactly as that app's handler does (`cacheRefreshAnswer`),
 * reads the body under the 64 KiB limit (413 as soon as it is over), and runs the delivery
 * to its end even when the client goes away, so that its history row is always finished.
 */
export const makeCacheRefreshDoor = Effect.gen(function* () {
  const run = Effect.runForkWith(
    yield* Effect.context<Effect.Services<ReturnType<typeof receiveCacheRefresh>>>()
  )

  return (
    request: IncomingMessage,
    response: ServerResponse,
    { webhookId, secret }: { readonly webhookId: string; readonly secret: string },
    expectsContinue: boolean
  ): void => {
    const requestId = nodeRequestId(request)
    const chunks: Array<Buffer> = []
    let size = 0

    const deliver = () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
      const fiber = run(
        receiveCacheRefresh(webhookId, secret, {
          requestId,
          eventType: deliveryEventType(request.headers, body)
        })
      )
      fiber.addObserver((exit) => {
        if (Exit.isSuccess(exit)) {
          const answer = cacheRefreshAnswer(exit.value, requestId)
          return replyJson(response, requestId, answer.status, answer.body)
        }
        run(Effect.logError("request failed", { requestId, method: "POST" }, exit.cause))
        replyJson(response, requestId, 500, cacheRefreshAnswer({ _tag: "Failed" }, requestId).body)
      })
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= webhookMaxBodyBytes) return void chunks.push(chunk)
      // Over the limit: answered now; replyJson settles the rest of the body.
      request.off("data", onData)
      request.off("end", deliver)
      chunks.length = 0
      replyJson(response, requestId, 413, errorBody(413, { maxBytes: webhookMaxBodyBytes }), {}, size)
    }
    request.on("data", onData)
    request.on("end", deliver)
    // Refusals never got this far, so the body is wanted: the client may send it now.
    if (expectsContinue) response.writeContinue()
    // A client that goes away mid-body: nothing was started, nothing to answer.
    request.on("error", () => {})
  }
})

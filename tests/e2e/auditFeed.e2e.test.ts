import { Deferred, Effect } from "effect"
import { SqlClient } from "effect/sql"
import { EventSource } from "eventsource"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { zeroHash } from "../../application/audit/chain.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { databaseTargets } from "../support/databases.ts"
import { events, openFeed } from "../support/feeds.ts"
import { createGenericTenant, request } from "../support/http.ts"
import { masterAdminId, startTestServer, type TestServer } from "../support/testServer.ts"

const feedEnv = { AUDIT_FEED_HEARTBEAT_MS: "300", AUDIT_FEED_STREAMS_PER_USER: "3" }

let users = 0
const newUser = (role: string) => `user_feed_${role}_${Date.now().toString(36)}_${users++}`

describe.each(databaseTargets)("Audit feed ($name)", (target) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer(target, feedEnv)
  })
  afterAll(async () => {
    await server?.close()
  })

  /** A tenant whose owner has bumped its caches `bumps` times: its slug, its owner's token, its history (oldest first). */
  const tenantWithHistory = async (bumps: number) => {
    const owner = await server.token(newUser("owner"))
    const slug = await createGenericTenant(server, owner, "feed")
    for (let i = 0; i < bumps; i++) {
      const bumped = await request(server, "POST", `/api/tenants/${slug}/refresh-cache`, {
        token: owner,
        body: { type: "api" }
      })
      expect(bumped.status).toBe(200)
    }
    const page = await request(server, "GET", `/api/tenants/${slug}/audit-events?limit=200`, { token: owner })
    expect(page.status).toBe(200)
    return {
      slug,
      owner,
      history: [...page.body.events].reverse() as Array<{ id: number } & Record<string, unknown>>
    }
  }

  const bump = async (slug: string, token: string) => {
    const bumped = await request(server, "POST", `/api/tenants/${slug}/refresh-cache`, {
      token,
      body: { type: "html" }
    })
    expect(bumped.status).toBe(200)
  }

  it("given a tenant's history, when its owner follows the feed as NDJSON from the start, then every audit event arrives oldest first, exactly as the audit page shows it, and a later event arrives live", async () => {
    const { slug, owner, history } = await tenantWithHistory(3)
    const feed = await openFeed(server, `/api/tenants/${slug}/audit-events/stream`, {
      token: owner,
      format: "ndjson"
    })
    expect(feed.status).toBe(200)
    expect(feed.headers.get("content-type")).toContain("application/x-ndjson")
    expect(feed.headers.get("x-request-id")).toBeTruthy()
    await feed.until((messages) => events(messages).length >= history.length)
    expect(events(feed.messages)).toEqual(history)

    await bump(slug, owner)
    await feed.until((messages) => events(messages).length === history.length + 1)
    const live = events(feed.messages).at(-1)!
    expect(live.type).toBe("CacheVersionsBumped")
    expect(live.id).toBeGreaterThan(history.at(-1)!.id)
    feed.close()
  })

  it("given SSE, then each message is `id:` the event id, `event: audit`, `data:` the event; `after` resumes after that id and Last-Event-ID wins over it", async () => {
    const { slug, owner, history } = await tenantWithHistory(4)
    const from = history[1]!.id
    const resumed = await openFeed(server, `/api/tenants/${slug}/audit-events/stream?after=${from}`, {
      token: owner
    })
    expect(resumed.status).toBe(200)
    expect(resumed.headers.get("content-type")).toContain("text/event-stream")
    await resumed.until((messages) => events(messages).length >= history.length - 2)
    expect(events(resumed.messages)).toEqual(history.slice(2))
    resumed.close()

    const header = await openFeed(server, `/api/tenants/${slug}/audit-events/stream?after=${from}`, {
      token: owner,
      headers: { "last-event-id": String(history[3]!.id) }
    })
    await header.until((messages) => events(messages).length >= history.length - 4)
    expect(events(header.messages)).toEqual(history.slice(4))
    header.close()
  })

  it("given a real EventSource client whose connection drops, then it reconnects with Last-Event-ID and gets every event exactly once, in order", async () => {
    const { slug, owner, history } = await tenantWithHistory(2)
    const requests: Array<string | null> = []
    let cut: (() => void) | undefined
    const received: Array<{ id: number }> = []
    const source = new EventSource(`${server.baseUrl}/api/tenants/${slug}/audit-events/stream`, {
      fetch: (input, init) => {
        const headers = new Headers(init?.headers)
        requests.push(headers.get("last-event-id"))
        headers.set("authorization", `Bearer ${owner}`)
        const ours = new AbortController()
        init?.signal?.addEventListener("abort", () => ours.abort())
        cut = () => ours.abort(new Error("the network dropped"))
        return fetch(input, { ...init, headers, signal: ours.signal })
      }
    })
    try {
      const seen = (count: number) =>
        new Promise<void>((resolve) => {
          const check = () => (received.length >= count ? resolve() : setTimeout(check, 10))
          check()
        })
      source.addEventListener("audit", (message) => {
        const event = JSON.parse(message.data)
        expect(message.lastEventId).toBe(String(event.id))
        received.push(event)
      })
      await seen(history.length)
      cut!()
      await bump(slug, owner)
      await bump(slug, owner)
      await seen(history.length + 2)
      expect(requests).toEqual([null, String(history.at(-1)!.id)])
      const ids = received.map((event) => event.id)
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
      expect(received.slice(0, history.length)).toEqual(history)
    } finally {
      source.close()
    }
  })

  it("given two tenants, then the feed of everything gives a master admin both (each event with its slug) and an owner only their own", async () => {
    const first = await tenantWithHistory(1)
    const second = await tenantWithHistory(1)
    const after = first.history[0]!.id - 1
    const master = await openFeed(server, `/api/audit-events/stream?after=${after}`, {
      token: await server.token(masterAdminId),
      format: "ndjson"
    })
    const own = await openFeed(server, `/api/audit-events/stream?after=${after}`, {
      token: first.owner,
      format: "ndjson"
    })
    const ofTenant = (slug: string, history: ReadonlyArray<{ id: number }>) =>
      history.map((event) => ({ ...event, slug }))
    const expectedMaster = [...ofTenant(first.slug, first.history), ...ofTenant(second.slug, second.history)]
    await master.until(
      (messages) =>
        events(messages).filter((event) => event.id <= second.history.at(-1)!.id).length >=
        expectedMaster.length
    )
    expect(
      events(master.messages).filter((event) => event.slug === first.slug || event.slug === second.slug)
    ).toEqual(expectedMaster)
    await own.until((messages) => events(messages).length >= first.history.length)
    await bump(second.slug, second.owner)
    await bump(first.slug, first.owner)
    await own.until((messages) => events(messages).length >= first.history.length + 1)
    expect(events(own.messages).every((event) => event.slug === first.slug)).toBe(true)
    master.close()
    own.close()
  })

  it("given bad resume points or callers, then 400 validation_failed / 401 / 403 / 404, and nothing streams", async () => {
    const { slug, owner } = await tenantWithHistory(0)
    const path = `/api/tenants/${slug}/audit-events/stream`
    const cases: Array<[string, Record<string, string>, string | undefined, number, string | undefined]> = [
      [`${path}?after=abc`, {}, owner, 400, "after"],
      [`${path}?after=-1`, {}, owner, 400, "after"],
      [`${path}?after=999999999`, {}, owner, 400, "after"],
      [path, { "last-event-id": "x1" }, owner, 400, "Last-Event-ID"],
      [path, {}, undefined, 401, undefined],
      [path, {}, await server.token(newUser("outsider")), 403, undefined],
      ["/api/tenants/no-such-tenant-feed/audit-events/stream", {}, owner, 404, undefined],
      ["/api/audit-events/stream?after=999999999", {}, owner, 400, "after"]
    ]
    for (const [url, headers, token, status, field] of cases) {
      const feed = await openFeed(server, url, { token, headers })
      expect(feed.status, url).toBe(status)
      expect(feed.headers.get("content-type"), url).toContain("json")
      if (field !== undefined)
        expect(Object.keys((feed.error as { errors: object }).errors), url).toEqual([field])
    }
  })

  it("given an idle feed, then a heartbeat comes at least every heartbeat interval (SSE comment, NDJSON empty line)", async () => {
    const { slug, owner } = await tenantWithHistory(0)
    for (const format of ["sse", "ndjson"] as const) {
      const feed = await openFeed(server, `/api/tenants/${slug}/audit-events/stream`, {
        token: owner,
        format
      })
      await feed.until(
        (messages) => messages.filter((message) => message.kind === "heartbeat").length >= 3,
        3_000
      )
      feed.close()
    }
  })

  it("given a user holding the per-user number of streams, then one more is 429 rate_limited with Retry-After, and closing one frees a slot", async () => {
    const { slug, owner } = await tenantWithHistory(0)
    const path = `/api/tenants/${slug}/audit-events/stream`
    const open = await Promise.all([1, 2, 3].map(() => openFeed(server, path, { token: owner })))
    expect(open.map((feed) => feed.status)).toEqual([200, 200, 200])
    const refused = await openFeed(server, "/api/audit-events/stream", { token: owner })
    expect(refused.status).toBe(429)
    expect(refused.headers.get("retry-after")).toBe("5")
    expect(refused.error).toMatchObject({ error: "rate_limited" })
    open[0]!.close()
    let again = await openFeed(server, path, { token: owner })
    for (let i = 0; again.status === 429 && i < 50; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      again = await openFeed(server, path, { token: owner })
    }
    expect(again.status).toBe(200)
    for (const feed of [...open, again]) feed.close()
  })

  it("given a tenant's events, then audit-events/head gives its newest id, its count and each stream's version and head hash, and every event links to its stream's previous one", async () => {
    const { slug, owner, history } = await tenantWithHistory(3)
    const head = await request(server, "GET", `/api/tenants/${slug}/audit-events/head`, { token: owner })
    expect(head.status).toBe(200)
    expect(head.body.id).toBe(history.at(-1)!.id)
    expect(head.body.count).toBe(history.length)
    const byStream = new Map<string, Array<Record<string, unknown>>>()
    for (const event of history) {
      const stream = byStream.get(event.stream as string) ?? []
      stream.push(event)
      byStream.set(event.stream as string, stream)
    }
    expect(head.body.streams).toEqual(
      [...byStream.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([stream, streamEvents]) => ({
          stream,
          version: streamEvents.length,
          hash: streamEvents.at(-1)!.hash
        }))
    )
    for (const streamEvents of byStream.values()) {
      streamEvents.forEach((event, i) => {
        expect(event.hash).toMatch(/^[0-9a-f]{64}$/)
        expect(event.prevHash).toBe(i === 0 ? zeroHash : streamEvents[i - 1]!.hash)
      })
    }
  })

  // Concurrent transactions are PostgreSQL's (PGlite runs one at a time): only there is this a case.
  if (target.name === "postgres")
    it("given a live feed, when a transaction that wrote first commits after a later one, then both are delivered, the earlier-begun one first (the in-flight gap)", async () => {
      const { slug, owner, history } = await tenantWithHistory(0)
      const feed = await openFeed(server, `/api/tenants/${slug}/audit-events/stream`, {
        token: owner,
        format: "ndjson"
      })
      await feed.until((messages) => events(messages).length >= history.length)
      const tenantId = (await request(server, "GET", `/api/tenants/${slug}`, { token: owner })).body.value
        .tenantId
      const release = Effect.runSync(Deferred.make<void>())
      const written = Effect.runSync(Deferred.make<number>())
      // A transaction that appends, then stays open while another append commits.
      const slow = server.run(
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const store = yield* EventStore
          yield* sql.withTransaction(
            Effect.gen(function* () {
              const appended = yield* store.append({
                streamId: `gap-probe-${tenantId}`,
                tenantId,
                expectedVersion: 0,
                events: [{ type: "GapProbe", schemaVersion: 1, data: {} }],
                metadata: { actor: { type: "system", id: "gap-test" } }
              })
              yield* Deferred.succeed(written, appended.events[0]!.position)
              yield* Deferred.await(release)
            })
          )
        })
      )
      const slowId = await Effect.runPromise(Deferred.await(written))
      await bump(slug, owner)
      // The later commit waits behind the open transaction: nothing is delivered past it.
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(events(feed.messages).length).toBe(history.length)
      Effect.runSync(Deferred.succeed(release, undefined))
      await slow
      await feed.until((messages) => events(messages).length >= history.length + 2)
      const delivered = events(feed.messages).slice(history.length)
      expect(delivered.map((event) => event.type)).toEqual(["GapProbe", "CacheVersionsBumped"])
      expect(delivered[0]!.id).toBe(slowId)
      feed.close()
    })
})

describe.each(databaseTargets)("Audit feed at server shutdown ($name)", (target) => {
  it("given open feeds, when the server shuts down, then each ends cleanly with an `end` message naming the id to resume after", async () => {
    const server = await startTestServer(target, feedEnv)
    let closed = false
    try {
      const owner = await server.token(newUser("owner"))
      const slug = await createGenericTenant(server, owner, "feedend")
      const sse = await openFeed(server, `/api/tenants/${slug}/audit-events/stream`, { token: owner })
      const ndjson = await openFeed(server, `/api/tenants/${slug}/audit-events/stream`, {
        token: owner,
        format: "ndjson"
      })
      await sse.until((messages) => events(messages).length >= 1)
      await ndjson.until((messages) => events(messages).length >= 1)
      const startedAt = Date.now()
      await server.close()
      closed = true
      await Promise.all([sse.ended, ndjson.ended])
      expect(Date.now() - startedAt).toBeLessThan(10_000)
      for (const feed of [sse, ndjson]) {
        const last = feed.messages.at(-1)!
        expect(last).toEqual({
          kind: "end",
          end: { reason: "shutdown", after: events(feed.messages).at(-1)!.id }
        })
      }
    } finally {
      if (!closed) await server.close()
    }
  })
})

import { Effect, Exit, ManagedRuntime, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AppendSignal } from "../../adapters/sql/AppendSignal.ts"
import * as Database from "../../adapters/sql/Database.ts"
import * as SqlStorage from "../../adapters/sql/SqlStorage.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { freshPostgresDatabase } from "../support/databases.ts"
import { postgresUrl } from "../support/services.ts"

const metadata = { actor: { type: "system" as const, id: "test" } }
const noted = (type: string) => ({ type, schemaVersion: 1, data: { n: 1 } })

const eventually = async (check: () => boolean, millis = 3000) => {
  const until = Date.now() + millis
  while (!check() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10))
  return check()
}

describe("Append signals on one node (pglite)", () => {
  const node = ManagedRuntime.make(SqlStorage.layer({ _tag: "pglite" }))
  afterAll(() => node.dispose())

  it("given caches watching event types, when an append writes one type, then only the watchers of that type move, once", async () => {
    const [watched, other, all] = await node.runPromise(
      Effect.map(AppendSignal, (signal) => [
        signal.watch(new Set(["WebhookThing"])),
        signal.watch(new Set(["SomethingElse"])),
        signal.generation
      ])
    )
    const [watchedBefore, otherBefore, allBefore] = [watched(), other(), all()]
    await node.runPromise(
      Effect.flatMap(EventStore, (store) =>
        store.append({
          streamId: "signal-local",
          tenantId: "t-signal",
          expectedVersion: 0,
          events: [noted("WebhookThing")],
          metadata
        })
      )
    )
    expect(watched()).toBe(watchedBefore + 1)
    expect(other()).toBe(otherBefore)
    expect(all()).toBe(allBefore + 1)
  })
})

// Two nodes: two processes' worth of database layers (pools, LISTEN, append signals) on one
// PostgreSQL database. PGlite is one process, so there is nothing to tell across nodes there.
if (postgresUrl !== undefined) {
  const url = postgresUrl
  describe("Append signals across nodes (postgres)", () => {
    const scope = Scope.makeUnsafe()
    let nodeA: ManagedRuntime.ManagedRuntime<EventStore | AppendSignal, unknown>
    let nodeB: ManagedRuntime.ManagedRuntime<AppendSignal, unknown>

    beforeAll(async () => {
      const database = await Effect.runPromise(freshPostgresDatabase(url).pipe(Scope.provide(scope)))
      nodeA = ManagedRuntime.make(SqlStorage.layer({ _tag: "postgres", url: database, maxConnections: 4 }))
      nodeB = ManagedRuntime.make(Database.layer({ _tag: "postgres", url: database, maxConnections: 4 }))
      await nodeA.runPromise(Effect.void)
      await nodeB.runPromise(Effect.void)
    })
    afterAll(async () => {
      await nodeA?.dispose()
      await nodeB?.dispose()
      await Effect.runPromise(Scope.close(scope, Exit.void))
    })

    it("given caches watching event types on two nodes, when one node appends a type, then the other node's watchers of that type move and no others, and the appending node does not hear itself", async () => {
      const watch = (
        node: ManagedRuntime.ManagedRuntime<AppendSignal, unknown>,
        types: ReadonlyArray<string>
      ) => node.runPromise(Effect.map(AppendSignal, (signal) => signal.watch(new Set(types))))
      const remoteWebhooks = await watch(nodeB, ["WebhookThing"])
      const remoteOther = await watch(nodeB, ["SomethingElse"])
      const localWebhooks = await watch(nodeA, ["WebhookThing"])
      const [remoteBefore, otherBefore, localBefore] = [remoteWebhooks(), remoteOther(), localWebhooks()]

      await nodeA.runPromise(
        Effect.flatMap(EventStore, (store) =>
          store.append({
            streamId: `signal-${Date.now()}`,
            tenantId: "t-signal",
            expectedVersion: 0,
            events: [noted("WebhookThing")],
            metadata
          })
        )
      )
      expect(localWebhooks()).toBe(localBefore + 1)
      expect(await eventually(() => remoteWebhooks() > remoteBefore)).toBe(true)
      // A few broadcast ticks later: the appending node did not hear its own NOTIFY, and
      // the other node's unrelated cache was left alone.
      await new Promise((resolve) => setTimeout(resolve, 150))
      expect(localWebhooks()).toBe(localBefore + 1)
      expect(remoteOther()).toBe(otherBefore)
    })
  })
}

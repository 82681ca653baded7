import { expect, layer } from "@effect/vitest"
import { Effect, Result } from "effect"
import { SqlClient } from "effect/sql"
import fc from "fast-check"
import type { TenantId } from "../../domain/shared/ids.ts"
import { type Slug, type TenantCommand, tenantStream } from "../../domain/tenant/index.ts"
import { createTenantArb, instantAt, validSlugArb } from "../support/arbitraries.ts"
import { databaseTargets } from "../support/databases.ts"
import {
  assertProperty,
  handlerLayer,
  handleTenantCommand,
  uniqueTag,
  uniqueTenantId
} from "../support/tenantHarness.ts"

/**
 * Live slugs are unique, enforced by the `tenants` read model's unique index inside the
 * append's own transaction: of concurrent creates for one slug exactly one commits, and
 * the others leave nothing behind.
 */

const contenders = 20

const createFor = (
  tenantId: TenantId,
  slug: Slug,
  at = instantAt(1)
): Extract<TenantCommand, { _tag: "CreateTenant" }> => ({
  _tag: "CreateTenant",
  tenantId,
  slug,
  cms: { cms: "prismic", repository: "acme" },
  cacheTTL: 300,
  websiteDomain: null,
  siteProxy: false,
  ownerId: `owner_${tenantId}` as never,
  at
})

/** Everything any table holds about a tenant. */
const traces = (tenantId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const count = (rows: ReadonlyArray<{ n: unknown }>) => Number(rows[0]?.n ?? 0)
    return {
      events: count(
        yield* sql<{ n: unknown }>`SELECT count(*) AS n FROM events WHERE tenant_id = ${tenantId}`
      ),
      streams: count(
        yield* sql<{
          n: unknown
        }>`SELECT count(*) AS n FROM streams WHERE stream_id = ${tenantStream(tenantId)}`
      ),
      snapshots: count(
        yield* sql<{
          n: unknown
        }>`SELECT count(*) AS n FROM snapshots WHERE stream_id = ${tenantStream(tenantId)}`
      ),
      tenants: count(
        yield* sql<{ n: unknown }>`SELECT count(*) AS n FROM tenants WHERE tenant_id = ${tenantId}`
      ),
      members: count(
        yield* sql<{ n: unknown }>`SELECT count(*) AS n FROM tenant_members WHERE tenant_id = ${tenantId}`
      )
    }
  })
const noTrace = { events: 0, streams: 0, snapshots: 0, tenants: 0, members: 0 }

/** All contenders at once; returns who won and who lost with what. */
const race = (commands: ReadonlyArray<Extract<TenantCommand, { _tag: "CreateTenant" }>>) =>
  Effect.forEach(
    commands,
    (command) =>
      Effect.result(handleTenantCommand(command.tenantId, command)).pipe(
        Effect.map((result) => ({
          tenantId: command.tenantId,
          outcome: Result.isSuccess(result) ? "created" : result.failure._tag
        }))
      ),
    { concurrency: "unbounded" }
  )

const ownersOfSlug = (slug: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ tenant_id: string }>`SELECT tenant_id FROM tenants WHERE slug = ${slug}`
    return rows.map((row) => row.tenant_id)
  })

const slugFor = (base: string) => `${base.slice(0, 50)}-${uniqueTag()}` as Slug

for (const target of databaseTargets) {
  layer(handlerLayer(target), { excludeTestServices: true, timeout: 120_000 })(
    `Slug uniqueness under concurrent creates: ${target.name}`,
    (it) => {
      it.effect(
        `given ${contenders} concurrent creates of one slug, then exactly one succeeds, the others fail UniqueKeyTaken and leave no trace; after the winner is deleted the slug can be taken again`,
        () =>
          Effect.gen(function* () {
            const slug = slugFor("contested")
            const commands = Array.from({ length: contenders }, () => createFor(uniqueTenantId(), slug))
            const outcomes = yield* race(commands)

            const winners = outcomes.filter((o) => o.outcome === "created")
            const losers = outcomes.filter((o) => o.outcome !== "created")
            expect(winners).toHaveLength(1)
            expect(new Set(losers.map((o) => o.outcome))).toEqual(new Set(["UniqueKeyTaken"]))
            const winner = winners[0]!.tenantId
            expect(yield* ownersOfSlug(slug)).toEqual([winner])
            expect(yield* traces(winner)).toEqual({
              ...noTrace,
              events: 1,
              streams: 1,
              tenants: 1,
              members: 1
            })
            for (const loser of losers) expect(yield* traces(loser.tenantId)).toEqual(noTrace)

            // The slug is free again once its holder is deleted; the losers' ids were never used, so they may race again.
            yield* handleTenantCommand(winner, { _tag: "DeleteTenant", at: instantAt(2) })
            expect(yield* ownersOfSlug(slug)).toEqual([])
            const rematch = yield* race(
              losers.map((l) => createFor(l.tenantId as TenantId, slug, instantAt(3)))
            )
            const rematchWinners = rematch.filter((o) => o.outcome === "created")
            expect(rematchWinners).toHaveLength(1)
            expect(
              rematch.filter((o) => o.outcome !== "created").every((o) => o.outcome === "UniqueKeyTaken")
            ).toBe(true)
            expect(yield* ownersOfSlug(slug)).toEqual([rematchWinners[0]!.tenantId])
            for (const loser of rematch.filter((o) => o.outcome !== "created")) {
              expect(yield* traces(loser.tenantId)).toEqual(noTrace)
            }
            // The deleted winner keeps its history and cannot come back under its id.
            expect(yield* traces(winner)).toEqual({ ...noTrace, events: 2, streams: 1 })
            const again = yield* Effect.result(
              handleTenantCommand(winner, createFor(winner as TenantId, slug))
            )
            expect(Result.isFailure(again) && again.failure._tag).toBe("TenantAlreadyExists")
          })
      )

      it.effect(
        "given arbitrary contenders spread over a few slugs, when they all race, then each slug has exactly one live holder and the losers leave no trace",
        () =>
          assertProperty(
            fc.record({
              slugs: fc.uniqueArray(validSlugArb, { minLength: 1, maxLength: 3 }),
              picks: fc.array(fc.nat(), { minLength: 2, maxLength: 12 }),
              cms: createTenantArb().map((create) => create.cms)
            }),
            ({ slugs, picks, cms }) =>
              Effect.gen(function* () {
                const live = slugs.map(slugFor)
                const commands = picks.map((pick) => ({
                  ...createFor(uniqueTenantId(), live[pick % live.length]!),
                  cms
                }))
                const outcomes = yield* race(commands)
                for (const slug of new Set(commands.map((c) => c.slug))) {
                  const mine = outcomes.filter((_, i) => commands[i]!.slug === slug)
                  const created = mine.filter((o) => o.outcome === "created")
                  expect(created).toHaveLength(1)
                  expect(yield* ownersOfSlug(slug)).toEqual([created[0]!.tenantId])
                  for (const lost of mine.filter((o) => o.outcome !== "created")) {
                    expect(lost.outcome).toBe("UniqueKeyTaken")
                    expect(yield* traces(lost.tenantId)).toEqual(noTrace)
                  }
                }
              }),
            10
          )
      )
    }
  )
}

import { expect, layer } from "@effect/vitest"
import { Effect, Result } from "effect"
import { SqlClient } from "effect/sql"
import fc from "fast-check"
import { invitesProjection } from "../../adapters/sql/projections/invites.ts"
import { membershipsProjection } from "../../adapters/sql/projections/memberships.ts"
import { rebuildInlineProjection } from "../../adapters/sql/rebuildProjection.ts"
import { Principal } from "../../application/auth/principal.ts"
import type { RequestContext } from "../../application/context.ts"
import { type DomainEvent, decodeEventStrict, membershipCodec } from "../../application/events/catalog.ts"
import { runMembershipCommand } from "../../application/members/membershipCommand.ts"
import { EventStore } from "../../application/ports/EventStore.ts"
import { type InviteRow, inviteChanges } from "../../application/projections/invites.ts"
import { membershipChanges } from "../../application/projections/memberships.ts"
import {
  type MembershipCommand,
  type MembershipState,
  membershipDecider,
  membershipStream,
  roster
} from "../../domain/membership/index.ts"
import { fold } from "../../domain/shared/decider.ts"
import type { Slug } from "../../domain/tenant/index.ts"
import { tenantStream } from "../../domain/tenant/index.ts"
import { instantAt } from "../support/arbitraries.ts"
import { databaseTargets } from "../support/databases.ts"
import { type MemberStep, memberScenarioArb, ownerId, toCommand } from "../support/membershipArbitraries.ts"
import {
  assertProperty,
  handlerLayer,
  handleTenantCommand,
  uniqueTag,
  uniqueTenantId
} from "../support/tenantHarness.ts"

/**
 * The membership read models against the log, on every database target: whatever the
 * real CommandHandler appended (membership commands run as the application runs them,
 * with the tenant's facts read from its own stream), `tenant_members` and
 * `tenant_invites` are the fold of that tenant's events (its members stream, and
 * TenantCreated and TenantDeleted from its tenant stream), agree with the decider's
 * state, and come out the same when rebuilt from the log.
 */

const scenarioArb = fc.record({
  steps: memberScenarioArb,
  deleteAtEnd: fc.constantFrom(false, false, false, true)
})

const context: RequestContext = { principal: Principal.system("property-test"), requestId: "req-members" }

/**
 * Runs a step through the application's membership runner (which reads the tenant's facts
 * from its stream and guards the append on it); the command it made, and the outcome.
 */
const runStep = (tenantId: string, step: MemberStep, at: string, n: number) =>
  Effect.gen(function* () {
    let made: MembershipCommand | undefined
    const result = yield* Effect.result(
      runMembershipCommand(context, tenantId, (tenant, state) =>
        Effect.sync(() => {
          made = toCommand(step, state, tenant, at, n)
          return made
        })
      )
    )
    return { command: made!, result }
  })

type Row = Omit<InviteRow, "tenantId">

/** The pure projections folded over the log: what the tables must hold. */
const foldLog = (tenantId: string, events: ReadonlyArray<DomainEvent>) => {
  const members = new Map<string, string>()
  const invites = new Map<number, Row>()
  for (const event of events) {
    for (const change of membershipChanges(tenantId, event)) {
      if (change._tag === "upsert") members.set(change.membership.userId, change.membership.role)
      else if (change._tag === "remove") members.delete(change.userId)
      else members.clear()
    }
    for (const change of inviteChanges(tenantId, event)) {
      if (change._tag === "insert") {
        const { tenantId: _, ...row } = change.row
        if (!invites.has(row.inviteId)) invites.set(row.inviteId, row)
      } else if (change._tag === "update") {
        const row = invites.get(change.inviteId)
        if (row !== undefined) invites.set(change.inviteId, { ...row, ...change.changes })
      } else invites.clear()
    }
  }
  return {
    members: [...members].sort(([a], [b]) => (a < b ? -1 : 1)),
    invites: [...invites.values()].sort((a, b) => a.inviteId - b.inviteId)
  }
}

const tableRows = (tenantId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const members = yield* sql<{ user_id: string; role: string }>`
      SELECT user_id, role FROM tenant_members WHERE tenant_id = ${tenantId} ORDER BY user_id COLLATE "C"`
    const invites = yield* sql<Record<string, unknown>>`
      SELECT * FROM tenant_invites WHERE tenant_id = ${tenantId} ORDER BY invite_id`
    return {
      members: members.map((m) => [m.user_id, m.role] as const),
      invites: invites.map(
        (r): Row => ({
          inviteId: Number(r.invite_id),
          sealedEmail: String(r.sealed_email),
          role: r.role as Row["role"],
          tokenHash: String(r.token_hash),
          expiresAt: String(r.expires_at),
          invitedBy: String(r.invited_by),
          status: r.status as Row["status"],
          createdAt: String(r.created_at),
          updatedAt: String(r.updated_at)
        })
      )
    }
  })

const wholeTables = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return {
    members: yield* sql`SELECT * FROM tenant_members ORDER BY tenant_id, user_id COLLATE "C"`,
    invites: yield* sql`SELECT * FROM tenant_invites ORDER BY tenant_id, invite_id`
  }
})

for (const target of databaseTargets) {
  layer(handlerLayer(target), { excludeTestServices: true, timeout: 120_000 })(
    `Membership read models: ${target.name}`,
    (it) => {
      it.effect(
        "given arbitrary membership commands by arbitrary actors through the command handler, then tenant_members and tenant_invites equal a fold of the log, agree with the decider, and are rebuilt identically",
        () =>
          assertProperty(
            scenarioArb,
            ({ steps, deleteAtEnd }) =>
              Effect.gen(function* () {
                const store = yield* EventStore
                const tenantId = uniqueTenantId()
                let clock = 0
                yield* handleTenantCommand(tenantId, {
                  _tag: "CreateTenant",
                  tenantId,
                  slug: `members-${uniqueTag()}` as Slug,
                  cms: { cms: "generic", apiOrigin: "https://api.example.com" },
                  cacheTTL: 300,
                  websiteDomain: null,
                  siteProxy: false,
                  ownerId,
                  at: instantAt(clock)
                })
                let state: MembershipState = membershipDecider.initialState
                for (const [n, [step, ms]] of steps.entries()) {
                  clock += ms
                  const { command, result } = yield* runStep(tenantId, step, instantAt(clock), n)
                  // The tenant's facts as its stream has them: live, created by the owner.
                  expect(command.tenant).toEqual({ live: true, creatorId: ownerId })
                  const expected = membershipDecider.decide(command, state)
                  expect(Result.isSuccess(result) ? "ok" : result.failure._tag).toBe(
                    Result.isSuccess(expected) ? "ok" : expected.failure._tag
                  )
                  if (Result.isSuccess(result)) {
                    expect(result.success.state).toEqual(
                      fold(membershipDecider, result.success.decided, state)
                    )
                    state = result.success.state
                  }
                }
                if (deleteAtEnd) {
                  yield* handleTenantCommand(tenantId, { _tag: "DeleteTenant", at: instantAt(clock + 1) })
                  // From then on, every membership command is refused on the tenant's word, and nothing is written.
                  const after = yield* runStep(tenantId, steps[0]![0], instantAt(clock + 2), steps.length)
                  expect(after.command.tenant.live).toBe(false)
                  expect(Result.isFailure(after.result) && after.result.failure._tag).toBe("TenantNotFound")
                }

                const members = yield* store.readStream(membershipStream(tenantId))
                expect(members.map((e) => e.streamVersion)).toEqual(members.map((_, i) => i + 1))
                expect(fold(membershipDecider, members.map(membershipCodec.decodeStrict))).toEqual(state)
                // The tenant's log in commit order: its tenant stream and its members stream.
                const log = [...(yield* store.readStream(tenantStream(tenantId))), ...members]
                  .sort((a, b) => a.position - b.position)
                  .map(decodeEventStrict)
                const folded = foldLog(tenantId, log)
                const rows = yield* tableRows(tenantId)
                expect(rows.members).toEqual(folded.members)
                expect(rows.invites).toEqual(folded.invites)
                if (!deleteAtEnd) {
                  // The read models say what the decider's state says, the creator included.
                  expect(rows.members).toEqual(
                    [...roster(state, ownerId)].sort(([a], [b]) => (a < b ? -1 : 1))
                  )
                  expect(rows.invites.map((i) => [i.inviteId, i.status, i.role, i.tokenHash])).toEqual(
                    [...state.invites.values()]
                      .sort((a, b) => a.inviteId - b.inviteId)
                      .map((i) => [i.inviteId, i.status, i.role, i.tokenHash])
                  )
                } else {
                  expect(rows).toEqual({ members: [], invites: [] })
                }

                const incremental = yield* wholeTables
                yield* rebuildInlineProjection(membershipsProjection)
                yield* rebuildInlineProjection(invitesProjection)
                expect(yield* wholeTables).toEqual(incremental)
              }),
            20
          ),
        120_000
      )
    }
  )
}

import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Exit, type Layer, Option, Scope } from "effect"
import { type Checkpoint, startOfLog } from "../../application/ports/EventStore.ts"
import {
  type Lease,
  LeaseLost,
  type ProjectionCheckpoints
} from "../../application/ports/ProjectionCheckpoints.ts"

/** What a ProjectionCheckpoints implementation hands the contract. */
export interface ProjectionCheckpointsSubject<R> {
  /** Provides everything `node` needs: one shared storage. */
  readonly layer: Layer.Layer<R, unknown>
  /** A node on that storage: an instance of its own, as another process would have. */
  readonly node: Effect.Effect<ProjectionCheckpoints["Service"], never, R>
  /**
   * Cuts the storage connection behind a held lease (as a network cut or a restarted
   * server would), where the implementation has one.
   */
  readonly dropLeaseConnection?: ((name: string) => Effect.Effect<void, never, R>) | undefined
}

const unique = () => `projector-${Math.random().toString(36).slice(2, 10)}`
const at = (transactionId: number, position: number): Checkpoint => ({ transactionId, position })

/** A lease taken in a scope of its own, released when `release` runs. */
const acquire = (checkpoints: ProjectionCheckpoints["Service"], name: string) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const lease = yield* checkpoints.lease(name).pipe(Scope.provide(scope))
    return { lease, release: Scope.close(scope, Exit.void) }
  })

/** Whether the lease is granted now (given back at once if so). */
const grants = (checkpoints: ProjectionCheckpoints["Service"], name: string) =>
  Effect.scoped(Effect.map(checkpoints.lease(name), (lease) => lease !== undefined))

const held = (lease: Lease | undefined, label: string): Lease => {
  assert.isDefined(lease, label)
  return lease!
}

const assertLeaseLost = <A, E>(exit: Exit.Exit<A, E>, label: string) => {
  assert.isTrue(Exit.isFailure(exit), `${label}: expected LeaseLost, got ${JSON.stringify(exit)}`)
  if (Exit.isFailure(exit))
    assert.instanceOf(exit.cause.reasons.find(Cause.isFailReason)?.error, LeaseLost, label)
}

/** Whether `lost` has completed within `millis`. */
const reportsLost = (lease: Lease, millis: number) =>
  lease.lost.pipe(Effect.timeoutOption(millis), Effect.map(Option.isSome))

/**
 * What every ProjectionCheckpoints must do (see ProjectionCheckpoints.int.test.ts): keep
 * each projector's checkpoint, never backwards; let one runner hold a projector's lease at
 * a time across nodes, until its scope closes; and fence: once a newer holder (or a reset)
 * exists, an older holder's saves are refused, so a runner that lost its lease without
 * noticing cannot write over its successor.
 */
export const projectionCheckpointsContract = <R>(
  name: string,
  subject: Pick<ProjectionCheckpointsSubject<R>, "layer"> &
    Omit<ProjectionCheckpointsSubject<NoInfer<R>>, "layer">
) =>
  layer(subject.layer, { excludeTestServices: true, timeout: 60_000 })(
    `ProjectionCheckpoints contract: ${name}`,
    (it) => {
      it.effect("given a projector never saved, when loading, then the start of the log", () =>
        Effect.gen(function* () {
          assert.deepStrictEqual(yield* (yield* subject.node).load(unique()), startOfLog)
        })
      )

      it.effect(
        "given a holder's saves, when loading on any node, then the last one; a save behind it changes nothing and is no error",
        () =>
          Effect.gen(function* () {
            const [a, b] = [yield* subject.node, yield* subject.node]
            const projector = unique()
            const { lease, release } = yield* acquire(a, projector)
            const holder = held(lease, "the first runner gets the lease")
            yield* a.save(holder, at(10, 3))
            assert.deepStrictEqual(yield* b.load(projector), at(10, 3))
            yield* a.save(holder, at(12, 40))
            assert.deepStrictEqual(yield* b.load(projector), at(12, 40))
            yield* a.save(holder, at(12, 39))
            yield* a.save(holder, at(11, 90))
            assert.deepStrictEqual(yield* a.load(projector), at(12, 40), "never backwards")
            yield* a.save(holder, at(13, 1))
            assert.deepStrictEqual(yield* a.load(projector), at(13, 1))
            yield* release
          })
      )

      it.effect(
        "given a holder, when another node (or the same one) asks for the lease, then it is refused until the holder's scope closes, then granted with a greater epoch",
        () =>
          Effect.gen(function* () {
            const [a, b] = [yield* subject.node, yield* subject.node]
            const projector = unique()
            const first = yield* acquire(a, projector)
            const holder = held(first.lease, "the first runner gets the lease")
            assert.isFalse(yield* grants(b, projector), "another node is refused")
            assert.isFalse(yield* grants(a, projector), "so is a second runner on the holder's node")
            yield* first.release
            const next = yield* acquire(b, projector)
            assert.isAbove(held(next.lease, "granted once released").epoch, holder.epoch)
            assert.isFalse(yield* grants(a, projector), "one holder at a time, still")
            yield* next.release
          })
      )

      it.effect("given runners racing for one lease, then exactly one gets it", () =>
        Effect.gen(function* () {
          const nodes = [yield* subject.node, yield* subject.node, yield* subject.node]
          const projector = unique()
          const attempts = yield* Effect.forEach(nodes, (node) => acquire(node, projector), {
            concurrency: "unbounded"
          })
          assert.strictEqual(attempts.filter((attempt) => attempt.lease !== undefined).length, 1)
          yield* Effect.forEach(attempts, (attempt) => attempt.release, { discard: true })
        })
      )

      it.effect(
        "given a holder whose lease another runner has since taken, when the old holder saves, then LeaseLost and the checkpoint stays the new holder's",
        () =>
          Effect.gen(function* () {
            const [a, b] = [yield* subject.node, yield* subject.node]
            const projector = unique()
            const first = yield* acquire(a, projector)
            const stale = held(first.lease, "first holder")
            yield* a.save(stale, at(5, 5))
            // The first holder's lease ends (its scope, as a dropped connection would) while it runs on.
            yield* first.release
            const second = yield* acquire(b, projector)
            const successor = held(second.lease, "second holder")
            yield* b.save(successor, at(6, 1))
            assertLeaseLost(yield* Effect.exit(a.save(stale, at(9, 9))), "ahead of the successor")
            assertLeaseLost(yield* Effect.exit(a.save(stale, at(5, 6))), "behind the successor")
            assert.deepStrictEqual(yield* b.load(projector), at(6, 1))
            assert.isTrue(yield* reportsLost(stale, 5_000), "the stale lease reports itself lost")
            yield* b.save(successor, at(7, 1))
            assert.deepStrictEqual(yield* a.load(projector), at(7, 1))
            assert.isFalse(yield* reportsLost(successor, 50), "the successor's lease stands")
            yield* second.release
          })
      )

      it.effect(
        "given a holder, when the projector is reset, then it is back at the start of the log, the holder's saves are refused and its lease reports itself lost; the next holder starts from the start",
        () =>
          Effect.gen(function* () {
            const [a, b] = [yield* subject.node, yield* subject.node]
            const projector = unique()
            const first = yield* acquire(a, projector)
            const holder = held(first.lease, "first holder")
            yield* a.save(holder, at(20, 2))
            yield* b.reset(projector)
            assert.deepStrictEqual(yield* a.load(projector), startOfLog)
            assertLeaseLost(yield* Effect.exit(a.save(holder, at(21, 1))), "after the reset")
            assert.deepStrictEqual(yield* b.load(projector), startOfLog)
            assert.isTrue(yield* reportsLost(holder, 5_000), "the holder hears of the reset")
            yield* first.release
            const second = yield* acquire(b, projector)
            const successor = held(second.lease, "next holder")
            assert.deepStrictEqual(yield* b.load(projector), startOfLog)
            yield* b.save(successor, at(1, 1))
            assert.deepStrictEqual(yield* a.load(projector), at(1, 1))
            yield* second.release
          })
      )

      const drop = subject.dropLeaseConnection
      if (drop !== undefined) {
        it.effect(
          "given a holder whose connection drops, then its lease reports itself lost, another node takes the lease over, and the old holder's saves are refused",
          () =>
            Effect.gen(function* () {
              const [a, b] = [yield* subject.node, yield* subject.node]
              const projector = unique()
              const first = yield* acquire(a, projector)
              const stale = held(first.lease, "first holder")
              yield* a.save(stale, at(30, 3))
              assert.isFalse(yield* grants(b, projector))
              yield* drop(projector)
              assert.isTrue(yield* reportsLost(stale, 5_000), "the holder learns its lease is gone")
              const second = yield* acquire(b, projector)
              const successor = held(second.lease, "another node takes over")
              assert.isAbove(successor.epoch, stale.epoch)
              assertLeaseLost(yield* Effect.exit(a.save(stale, at(31, 1))), "the old holder")
              yield* b.save(successor, at(30, 4))
              assert.deepStrictEqual(yield* a.load(projector), at(30, 4))
              yield* first.release
              yield* second.release
            })
        )
      }
    }
  )

import { Result } from "effect"
import { expect } from "vitest"
import { type Decider, fold } from "../../domain/shared/decider.ts"

/**
 * Given/when/then for deciders, so a spec reads like the contract:
 *
 *   given(webhookDecider, created).when(regenerateAsOtherTenant).thenFails(WebhookNotFound)
 *   given(cacheVersionsDecider).when(bump("api")).then(bumped({ api: 2 }))
 *
 * `given` folds the history; `when` decides one command against it; `then` checks the
 * events decided (exactly, in order) and returns the state they lead to, `thenNothing`
 * that the command is accepted and records nothing, `thenFails` the broken rule: a tag
 * or an error class, and optionally fields the error carries.
 */

type ErrorClass = abstract new (...args: never) => { readonly _tag: string }

export interface When<E, S, F> {
  /** What `decide` answered, for checks of one's own. */
  readonly decision: Result.Result<ReadonlyArray<E>, F>
  /**
   * The command is accepted with exactly these events; the state they lead to. (A `When`
   * is thenable by this name: never `await` one.)
   */
  readonly then: (...events: ReadonlyArray<E>) => S
  /** The command is accepted with as many events as given, each matching its partial. */
  readonly thenMatches: (...events: ReadonlyArray<Partial<E> & { readonly _tag: string }>) => S
  /** The command is accepted and records nothing. */
  readonly thenNothing: () => S
  /** The command is refused: a failure with this tag (or of this class), carrying these fields. */
  readonly thenFails: (failure: string | ErrorClass, fields?: Readonly<Record<string, unknown>>) => F
}

export interface Given<C, E, S, F> {
  /** The state the history folds into. */
  readonly state: S
  readonly when: (command: C) => When<E, S, F>
}

const describeDecision = (decision: Result.Result<ReadonlyArray<unknown>, unknown>): string =>
  Result.isSuccess(decision)
    ? `it was accepted with ${JSON.stringify(decision.success)}`
    : `it was refused with ${JSON.stringify(decision.failure)}`

/** The history a decider starts from, as events (none: a stream never written to). */
export const given = <C, E, S, F>(
  decider: Decider<C, E, S, F>,
  ...history: ReadonlyArray<E>
): Given<C, E, S, F> => givenState(decider, fold(decider, history))

/** A state to start from directly (one reached by `then`, say). */
export const givenState = <C, E, S, F>(decider: Decider<C, E, S, F>, state: S): Given<C, E, S, F> => ({
  state,
  when: (command) => {
    const decision = decider.decide(command, state)
    const accepted = (): ReadonlyArray<E> => {
      if (Result.isFailure(decision)) {
        throw new Error(
          `expected ${JSON.stringify(command)} to be accepted, but ${describeDecision(decision)}`
        )
      }
      return decision.success
    }
    return {
      decision,
      // biome-ignore lint/suspicious/noThenProperty: the contract's word; never awaited (its result is not a promise)
      then: (...events) => {
        const decided = accepted()
        expect(decided).toEqual(events)
        return fold(decider, decided, state)
      },
      thenMatches: (...events) => {
        const decided = accepted()
        expect(decided).toHaveLength(events.length)
        for (const [i, event] of events.entries()) expect(decided[i]).toMatchObject(event)
        return fold(decider, decided, state)
      },
      thenNothing: () => {
        expect(accepted()).toEqual([])
        return state
      },
      thenFails: (failure, fields) => {
        if (Result.isSuccess(decision)) {
          const expected = typeof failure === "string" ? failure : failure.name
          throw new Error(
            `expected ${JSON.stringify(command)} to fail with ${expected}, but ${describeDecision(decision)}`
          )
        }
        const error = decision.failure as { readonly _tag: string }
        if (typeof failure === "string") expect(error._tag).toBe(failure)
        else expect(error).toBeInstanceOf(failure)
        if (fields !== undefined) expect(error).toMatchObject(fields)
        return decision.failure
      }
    }
  }
})

import type { Result } from "effect"

/**
 * An aggregate as a pure decider: what happened so far folds into a state, and a
 * command against that state either yields new events or fails with a broken rule.
 * Time and ids arrive inside the command; nothing here reads a clock.
 */
export interface Decider<Command, Event, State, Failure> {
  readonly initialState: State
  readonly decide: (command: Command, state: State) => Result.Result<ReadonlyArray<Event>, Failure>
  readonly evolve: (state: State, event: Event) => State
}

/** Folds events from the given state (the initial one when omitted). */
export const fold = <C, E, S, F>(decider: Decider<C, E, S, F>, events: Iterable<E>, from?: S): S => {
  let state = from ?? decider.initialState
  for (const event of events) state = decider.evolve(state, event)
  return state
}

/** Ends a switch over a closed union: a new member left unhandled is a type error. */
export const absurd = (value: never): never => {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`)
}

import { Schema } from "effect"
import { crossingKey } from "../analytics/quota.ts"
import type { QuotaEvent } from "./events.ts"

/** The crossings recorded so far (`{month}:{metric}:{threshold}`): at most four a month. */
export const QuotaState = Schema.Struct({ recorded: Schema.Array(Schema.String) })
export type QuotaState = typeof QuotaState.Type

export const quotaStateVersion = 1

export const initialState: QuotaState = { recorded: [] }

export const evolve = (state: QuotaState, event: QuotaEvent): QuotaState => ({
  recorded: [...state.recorded, crossingKey(event.month, event.metric, event.threshold)]
})

/** The months (YYYY-MM) in which a limit was reached in full. */
export const monthsOverQuota = (state: QuotaState): ReadonlySet<string> =>
  new Set(state.recorded.filter((key) => key.endsWith(":100")).map((key) => key.slice(0, 7)))

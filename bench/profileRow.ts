/**
 * EXPERIMENT helper (not part of the suite): runs one row of bench/eventStore.ts on one
 * engine, e.g. under `node --cpu-prof`.
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profileRow.ts postgres append 1
 */
import { Effect } from "effect"
import { batchAppends, loadAndFold, projectorCatchUp, singleAppends } from "./eventStore.ts"
import { parseEngines, printTable, type Row, storeLayer } from "./support.ts"

const [engineArg, row = "append", arg = "1"] = process.argv.slice(2)
const engine = parseEngines(engineArg)[0]!
const n = Number(arg)

// biome-ignore lint/suspicious/noExplicitAny: a bench entry point picks among rows with different requirements
const program: Effect.Effect<ReadonlyArray<Row>, never, any> = row === "append"
  ? Effect.map(singleAppends(engine, n), (r) => [r])
  : row === "batch"
    ? Effect.map(batchAppends(engine, n, 500), (r) => [r])
    : row === "seeded-append"
      ? Effect.gen(function* () {
          yield* batchAppends(engine, 1, 1000)
          return [yield* singleAppends(engine, n)]
        })
      : row === "fold"
        ? loadAndFold(engine, [n])
        : Effect.gen(function* () {
            yield* batchAppends(engine, 1, 1000)
            return [yield* projectorCatchUp(engine, n === 1 ? "per-event" : "set-based", 100_000)]
          })

const rows = await Effect.runPromise(program.pipe(Effect.provide(storeLayer(engine)), Effect.scoped) as never)
printTable(rows as ReadonlyArray<Row>)

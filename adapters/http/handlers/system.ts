import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { SqlClient } from "effect/sql"
import { Api } from "../api/Api.ts"
import { NotReady } from "../api/system.ts"

export const SystemHandlers = HttpApiBuilder.group(Api, "system", (handlers) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return handlers
      .handle("healthz", () => Effect.succeed({ ok: true }))
      .handle("readyz", () =>
        sql`SELECT 1`.pipe(
          Effect.timeout(2000),
          Effect.as({ ok: true, database: "ok" as const }),
          Effect.catch(() => Effect.fail(new NotReady({ message: "The database does not answer" })))
        )
      )
  })
)

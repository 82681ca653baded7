import { Context, Effect, Layer } from "effect"

/** Fresh identifiers; a port so tests can make them predictable. */
export class Ids extends Context.Service<Ids, { readonly make: (prefix: string) => Effect.Effect<string> }>()(
  "tenantry/application/ports/Ids"
) {
  /** `prefix_` + 20 random base-36 characters (~103 bits). */
  static readonly random = Layer.succeed(
    Ids,
    Ids.of({
      make: (prefix) =>
        Effect.sync(() => {
          const bytes = crypto.getRandomValues(new Uint8Array(20))
          let id = ""
          for (const byte of bytes) id += (byte % 36).toString(36)
          return `${prefix}_${id}`
        })
    })
  )
}

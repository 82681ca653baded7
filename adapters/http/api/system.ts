import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"

export class NotReady extends Schema.Error<NotReady>("NotReady")(
  { _tag: Schema.tagDefaultOmit("NotReady"), error: Schema.tag("not_ready"), message: Schema.String },
  { httpApiStatus: 503 }
) {}

export class SystemGroup extends HttpApiGroup.make("system")
  .add(
    HttpApiEndpoint.get("healthz", "/healthz", { success: Schema.Struct({ ok: Schema.Boolean }) }).annotate(
      OpenApi.Description,
      "The process is up."
    ),
    HttpApiEndpoint.get("readyz", "/readyz", {
      success: Schema.Struct({ ok: Schema.Boolean, database: Schema.Literal("ok") }),
      error: NotReady
    }).annotate(OpenApi.Description, "The database answers.")
  )
  .annotate(OpenApi.Title, "System") {}

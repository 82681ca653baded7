import { Context } from "effect"

/** The id of the request being served: echoed from a sane incoming X-Request-ID, else generated. */
export const CurrentRequestId = Context.Reference<string>("tenantry/http/CurrentRequestId", {
  defaultValue: () => ""
})

const sane = /^[A-Za-z0-9._:-]{1,128}$/

export const requestIdFor = (incoming: string | undefined): string =>
  incoming !== undefined && sane.test(incoming) ? incoming : `req_${crypto.randomUUID().replaceAll("-", "")}`

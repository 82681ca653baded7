import { FindMyWay } from "effect/http"
import { HttpApi, type HttpApiGroup } from "effect/http-api"

const candidates = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const

/**
 * The methods each path of `api` serves, for the envelope's 405 (CONTRACT.md: "a method a
 * known path does not serve is 405 method_not_allowed with Allow"): read from the API
 * definition itself, so every endpoint added later is covered, plus the routes served
 * beside it (`extra`, e.g. the OpenAPI document). The paths are matched as the router
 * matches them (the same matcher, the same default configuration). A path that serves
 * GET also answers HEAD, as the router does.
 */
export const allowedMethods = <Id extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<Id, Groups>,
  extra: ReadonlyArray<{ readonly method: string; readonly path: `/${string}` }> = []
): ((url: string) => ReadonlyArray<string>) => {
  const router = FindMyWay.make<true>()
  const served = new Set<string>()
  const add = (method: string, path: `/${string}`) => {
    served.add(method)
    router.on(method, path, true)
  }
  HttpApi.reflect(api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => add(endpoint.method, endpoint.path as `/${string}`)
  })
  for (const route of extra) add(route.method, route.path)
  const methods = candidates.filter((method) => served.has(method))
  return (url) => {
    const allowed = methods.filter((method) => router.find(method, url) !== undefined)
    return allowed.includes("GET")
      ? ["GET", "HEAD", ...allowed.filter((method) => method !== "GET")]
      : allowed
  }
}

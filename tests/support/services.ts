import { createConnection } from "node:net"

/**
 * PostgreSQL and Redis for the tests that need them. Locally they are optional (those
 * suites run on PGlite and files only); with CI=true a missing setting or an
 * unreachable server fails the run.
 */
export const inCI = process.env.CI === "true"
export const postgresUrl = process.env.TEST_DATABASE_URL
export const redisUrl = process.env.TEST_REDIS_URL

const reachable = (url: string, defaultPort: number) =>
  new Promise<boolean>((resolve) => {
    const parsed = new URL(url)
    const socket = createConnection({ host: parsed.hostname, port: Number(parsed.port || defaultPort) })
    socket.setTimeout(3000)
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("timeout", () => {
      socket.destroy()
      resolve(false)
    })
    socket.once("error", () => resolve(false))
  })

const require = async (name: string, variable: string, url: string | undefined, port: number) => {
  if (url === undefined) {
    if (inCI) throw new Error(`CI=true but ${variable} is not set: the ${name} suites cannot run`)
    return
  }
  if (!(await reachable(url, port))) throw new Error(`${name} at ${variable} (${url}) is unreachable`)
}

export const requirePostgres = () => require("PostgreSQL", "TEST_DATABASE_URL", postgresUrl, 5432)
export const requireRedis = () => require("Redis", "TEST_REDIS_URL", redisUrl, 6379)

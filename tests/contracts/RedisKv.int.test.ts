import { randomUUID } from "node:crypto"
import { createServer, type Server, type Socket } from "node:net"
import { Cause, Effect, Exit } from "effect"
import { createClient } from "redis"
import { afterAll, describe, expect, it } from "vitest"
import * as RedisKv from "../../adapters/kv/RedisKv.ts"
import { Kv, KvError } from "../../application/ports/Kv.ts"
import { redisUrl } from "../support/services.ts"
import { kvContract } from "./Kv.contract.ts"

// Without TEST_REDIS_URL (local runs) there is no Redis contract suite; with CI=true globalSetup
// fails the run instead. A prefix per run keeps parallel runs on one Redis apart.
if (redisUrl !== undefined) {
  const url = redisUrl
  const keyPrefix = `tenantry-test:${randomUUID()}:`
  kvContract("redis", RedisKv.layer(url, { keyPrefix }))

  afterAll(async () => {
    const client = createClient({ url })
    await client.connect()
    try {
      const left: Array<string> = []
      for await (const keys of client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 1000 }))
        left.push(...keys)
      if (left.length > 0) await client.del(left)
      expect(left, "the contract deletes every key it sets").toEqual([])
    } finally {
      await client.close()
    }
  })
}

/** Runs one get through a fresh layer, bounded so a hang fails the test instead of stalling it. */
const getThrough = (url: string) =>
  Effect.runPromiseExit(
    Effect.gen(function* () {
      const kv = yield* Kv
      return yield* kv.get("x")
    }).pipe(Effect.provide(RedisKv.layer(url)), Effect.timeout("20 seconds"))
  )

const kvErrorOf = (exit: Exit.Exit<unknown, unknown>) => {
  expect(Exit.isFailure(exit)).toBe(true)
  const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
  expect(error).toBeInstanceOf(KvError)
  return error as KvError
}

const listen = (onConnection: (socket: Socket) => void) =>
  new Promise<Server>((resolve) => {
    const server = createServer(onConnection)
    server.listen(0, "127.0.0.1", () => resolve(server))
  })
const portOf = (server: Server) => (server.address() as { port: number }).port

describe("RedisKv failures", () => {
  it("given a port nobody listens on, when the layer starts, then it fails fast with a KvError naming the cause, not the password", async () => {
    const closed = await listen(() => {})
    const port = portOf(closed)
    await new Promise((resolve) => closed.close(resolve))

    const started = Date.now()
    const error = kvErrorOf(await getThrough(`redis://admin:hunter2@127.0.0.1:${port}`))
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(error.operation).toBe("connect")
    expect(error.message).toMatch(/^Redis connect failed: .*ECONNREFUSED/)
    expect(error.message).not.toContain("hunter2")
    expect(error.message).not.toContain("redis://")
  })

  it("given a server that accepts and never answers, then the operation fails with a KvError in bounded time", async () => {
    const sockets = new Set<Socket>()
    const silent = await listen((socket) => {
      sockets.add(socket)
      socket.on("error", () => {})
    })
    try {
      const started = Date.now()
      const error = kvErrorOf(await getThrough(`redis://:s3cret-pass@127.0.0.1:${portOf(silent)}`))
      expect(Date.now() - started).toBeLessThan(15_000)
      expect(error.message).not.toContain("s3cret-pass")
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it("given a malformed URL carrying a password, then the layer fails with a KvError that does not repeat it", async () => {
    const error = kvErrorOf(await getThrough("rediss//user:hunter2@nowhere"))
    expect(error.message).not.toContain("hunter2")
  })
})

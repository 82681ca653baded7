import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"

/** `npm start` and `npm run edge` as real processes, for the end-to-end edge tests. */
const node = process.execPath
const root = join(import.meta.dirname, "../../..")

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })

export interface Started {
  /** SIGTERM, and wait for the exit. */
  readonly stop: () => Promise<void>
  /** SIGKILL (kill -9), and wait for the exit. */
  readonly kill9: () => Promise<void>
}

/** Starts `script` of this checkout and waits until `ready` says so (up to 2 minutes). */
export const startProcess = async (
  script: string,
  env: Record<string, string>,
  ready: () => Promise<boolean>
): Promise<Started> => {
  const child: ChildProcess = spawn(node, [join(root, script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${stderr}`)
    if (await ready().catch(() => false)) break
    // A first start on PGlite runs initdb: tens of seconds on a loaded 2-core box.
    if (attempt > 1200) throw new Error(`${script} did not come up: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const stopWith = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once("exit", () => resolve())
      child.kill(signal)
    })
  return { stop: () => stopWith("SIGTERM"), kill9: () => stopWith("SIGKILL") }
}

import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { expect } from "vitest"
import { postgresUrl, redisUrl } from "./services.ts"

const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

/**
 * Runs one bench as `npm run bench:*` runs it (`node bench/<file> [engine]`), small: every
 * row still runs end to end, on a fraction of its data and for a second. What the suite holds
 * is that each bench runs to its printed table on the stacks it names, never its numbers.
 */
export const runBench = (file: string, args: ReadonlyArray<string>, env: Readonly<Record<string, string>>) =>
  new Promise<{ readonly stdout: string; readonly stderr: string }>((resolve, reject) =>
    execFile(
      process.execPath,
      [`bench/${file}`, ...args],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          BENCH_DATABASE_URL: postgresUrl ?? "",
          BENCH_REDIS_URL: redisUrl ?? "",
          BENCH_SCALE: "0.1",
          BENCH_DURATION_MS: "300",
          BENCH_HTTP_SECONDS: "1",
          BENCH_HTTP_CONNECTIONS: "4",
          ...env
        },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 280_000
      },
      (error, stdout, stderr) =>
        error === null
          ? resolve({ stdout, stderr })
          : reject(
              new Error(`bench/${file} ${args.join(" ")} failed: ${error.message}\n${stdout}\n${stderr}`)
            )
    )
  )

/** The rows of the printed tables: `| name | … |` lines, the header and rule lines left out. */
export const tableRows = (stdout: string) =>
  stdout
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[\s:|-]+\|$/.test(line))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim())
    )

/** Each named row printed (in any cell of a table row), and no value it could not measure. */
export const expectMeasured = (stdout: string, names: ReadonlyArray<string>) => {
  const rows = tableRows(stdout)
  for (const name of names)
    expect(
      rows.some((row) => row.some((cell) => cell.includes(name))),
      `${name} in\n${stdout}`
    ).toBe(true)
  expect(stdout).not.toMatch(/NaN|Infinity|undefined/)
}

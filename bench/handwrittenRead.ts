/**
 * The reference for `GET /api/tenants/{slug}`: a hand-written `node:http` server that reads
 * the same tenant row by its primary key over PostgreSQL's wire protocol (a prepared
 * statement, a pool of connections, no framework, no session check), and answers
 * `{ key, value }`. Run by the side-by-side bench (compare.ts) in its own process:
 *
 *   PORT=… DATABASE_URL=postgres://… TENANT_ID=tnt_… SLUG=… node bench/handwrittenRead.ts
 *
 * Only trust and cleartext-password authentication are spoken (the loopback databases the
 * benches use). Settings: POOL (10, the application's default pool size).
 */
import { createServer } from "node:http"
import { connect, type Socket } from "node:net"

const url = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres")
const tenantId = process.env.TENANT_ID ?? ""
const slug = process.env.SLUG ?? ""
const poolSize = Number(process.env.POOL ?? 10)
const statement = "SELECT view FROM tenants WHERE tenant_id = $1"

const message = (type: string, body: Buffer) => {
  const header = Buffer.alloc(5)
  header.write(type, 0, "latin1")
  header.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([header, body])
}
const cstring = (text: string) => Buffer.from(`${text}\0`, "utf8")
const int16 = (value: number) => {
  const buffer = Buffer.alloc(2)
  buffer.writeInt16BE(value)
  return buffer
}
const int32 = (value: number) => {
  const buffer = Buffer.alloc(4)
  buffer.writeInt32BE(value)
  return buffer
}

const startup = () => {
  const body = Buffer.concat([
    int32(196608),
    cstring("user"),
    cstring(decodeURIComponent(url.username || "postgres")),
    cstring("database"),
    cstring(decodeURIComponent(url.pathname.slice(1) || "postgres")),
    Buffer.from([0])
  ])
  return Buffer.concat([int32(body.length + 4), body])
}

const parse = message("P", Buffer.concat([cstring("tenant"), cstring(statement), int16(0)]))
const sync = message("S", Buffer.alloc(0))
const execute = message("E", Buffer.concat([cstring(""), int32(0)]))
const param = Buffer.from(tenantId, "utf8")
// Bind the prepared statement to the tenant id (text formats), run it, and sync.
const query = Buffer.concat([
  message(
    "B",
    Buffer.concat([cstring(""), cstring("tenant"), int16(0), int16(1), int32(param.length), param, int16(0)])
  ),
  execute,
  sync
])

interface Connection {
  readonly socket: Socket
  /** Called with the first column of the first row (or null) once the query is over. */
  pending: ((value: string | null, error?: Error) => void) | undefined
}

/** One connection: started, authenticated and with the statement prepared when it resolves. */
const open = () =>
  new Promise<Connection>((resolve, reject) => {
    const socket = connect(Number(url.port || 5432), url.hostname)
    socket.setNoDelay(true)
    const connection: Connection = { socket, pending: undefined }
    let buffered: Buffer = Buffer.alloc(0)
    let ready = false
    let row: string | null = null
    let failure: Error | undefined
    socket.on("error", reject)
    socket.on("connect", () => socket.write(startup()))
    socket.on("data", (data: Buffer) => {
      buffered = buffered.length === 0 ? data : Buffer.concat([buffered, data])
      let offset = 0
      while (buffered.length - offset >= 5) {
        const type = String.fromCharCode(buffered[offset]!)
        const length = buffered.readInt32BE(offset + 1)
        if (buffered.length - offset < length + 1) break
        const body = buffered.subarray(offset + 5, offset + 1 + length)
        offset += length + 1
        switch (type) {
          case "R": {
            const code = body.readInt32BE(0)
            if (code === 3) socket.write(message("p", cstring(decodeURIComponent(url.password))))
            else if (code !== 0) reject(new Error(`authentication method ${code} is not spoken here`))
            break
          }
          case "D": {
            const size = body.readInt32BE(2)
            row = size === -1 ? null : body.toString("utf8", 6, 6 + size)
            break
          }
          case "E":
            failure = new Error(body.toString("utf8").replace(/\0/g, " "))
            break
          case "Z":
            if (!ready) {
              if (failure !== undefined) return reject(failure)
              ready = true
              return resolve(connection)
            }
            {
              const done = connection.pending
              connection.pending = undefined
              const value = row
              const error = failure
              row = null
              failure = undefined
              done?.(value, error)
            }
            break
          default:
            break
        }
      }
      buffered = offset === buffered.length ? Buffer.alloc(0) : buffered.subarray(offset)
    })
  }).then(
    (connection) =>
      new Promise<Connection>((resolve, reject) => {
        connection.pending = (_, error) => (error === undefined ? resolve(connection) : reject(error))
        connection.socket.write(Buffer.concat([parse, sync]))
      })
  )

const idle: Array<Connection> = []
const waiting: Array<(connection: Connection) => void> = []
const release = (connection: Connection) => {
  const next = waiting.shift()
  if (next === undefined) idle.push(connection)
  else next(connection)
}
const read = (done: (value: string | null, error?: Error) => void) => {
  const run = (connection: Connection) => {
    connection.pending = (value, error) => {
      release(connection)
      done(value, error)
    }
    connection.socket.write(query)
  }
  const connection = idle.pop()
  if (connection === undefined) waiting.push(run)
  else run(connection)
}

for (let i = 0; i < poolSize; i++) idle.push(await open())

const key = `proxy:${slug}`
createServer((request, response) => {
  if (request.method !== "GET" || request.url !== `/api/tenants/${slug}`) {
    response.writeHead(request.url === "/" ? 200 : 404, { "content-type": "application/json" })
    return void response.end("{}")
  }
  read((view, error) => {
    if (error !== undefined || view === null) {
      response.writeHead(500, { "content-type": "application/json" })
      return void response.end(JSON.stringify({ error: "internal", message: String(error ?? "no row") }))
    }
    const body = JSON.stringify({ key, value: JSON.parse(view) })
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
    response.end(body)
  })
}).listen(Number(process.env.PORT), "127.0.0.1")

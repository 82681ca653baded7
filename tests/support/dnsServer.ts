import type { AddressInfo } from "node:net"
import dns2 from "dns2"

const { Packet } = dns2

export type RecordType = "A" | "AAAA" | "CNAME" | "TXT" | "CAA"

/** How the server behaves: answer from its zone, answer SERVFAIL, or never answer (a timeout). */
export type DnsMode = "answer" | "servfail" | "silent"

export interface TestDnsServer {
  /** `127.0.0.1:{port}`, for DNS_SERVERS. */
  readonly address: string
  /** Replaces the records of one (name, type); an empty list removes them. */
  readonly set: (name: string, type: RecordType, values: ReadonlyArray<string>) => void
  readonly mode: (mode: DnsMode) => void
  /** How many questions it was asked (any mode). */
  readonly queries: () => number
  readonly close: () => Promise<void>
}

const typeCodes = new Map<RecordType, number>([
  ["A", Packet.TYPE.A],
  ["AAAA", Packet.TYPE.AAAA],
  ["CNAME", Packet.TYPE.CNAME],
  ["TXT", Packet.TYPE.TXT],
  ["CAA", Packet.TYPE.CAA]
])
const typeNames = new Map([...typeCodes].map(([name, code]) => [code, name]))

const norm = (name: string) => name.toLowerCase().replace(/\.$/, "")

/**
 * A real DNS server (dns2, UDP) on 127.0.0.1 and a free port, serving a zone each test
 * writes: NXDOMAIN for a name with no records at all, an empty answer for a name without
 * records of the asked type, a CNAME followed (as a recursive resolver would) when the
 * asked type is not CNAME. CAA values are written `issue letsencrypt.org`.
 */
export const startDnsServer = async (): Promise<TestDnsServer> => {
  const zone = new Map<string, Map<RecordType, ReadonlyArray<string>>>()
  let mode: DnsMode = "answer"
  let asked = 0

  const resource = (name: string, type: RecordType, value: string) => {
    const base = { name, type: typeCodes.get(type)!, class: Packet.CLASS.IN, ttl: 1 }
    switch (type) {
      case "A":
      case "AAAA":
        return { ...base, address: value }
      case "CNAME":
        return { ...base, domain: value }
      case "TXT":
        return { ...base, data: value }
      case "CAA": {
        const [tag, ...rest] = value.split(" ")
        return { ...base, flags: 0, tag: tag!, value: rest.join(" ") }
      }
    }
  }

  const server = dns2.createUDPServer((request, send) => {
    asked++
    if (mode === "silent") return
    const response = Packet.createResponseFromRequest(request)
    if (mode === "servfail") {
      response.header.rcode = Packet.RCODE.SERVFAIL
      void send(response)
      return
    }
    const question = request.questions[0]
    const type = question === undefined ? undefined : typeNames.get(question.type)
    if (question === undefined || type === undefined) {
      void send(response)
      return
    }
    let name = norm(question.name)
    for (let hops = 0; hops < 8; hops++) {
      const records = zone.get(name)
      if (records === undefined) {
        if (hops === 0) response.header.rcode = Packet.RCODE.NXDOMAIN
        break
      }
      const cname = records.get("CNAME")
      if (type !== "CNAME" && cname !== undefined && cname.length > 0) {
        response.answers.push(resource(name, "CNAME", cname[0]!) as never)
        name = norm(cname[0]!)
        continue
      }
      for (const value of records.get(type) ?? []) response.answers.push(resource(name, type, value) as never)
      break
    }
    void send(response)
  })
  await server.listen(0, "127.0.0.1")
  const port = (server.address() as AddressInfo).port

  return {
    address: `127.0.0.1:${port}`,
    set: (name, type, values) => {
      const key = norm(name)
      const records = zone.get(key) ?? new Map<RecordType, ReadonlyArray<string>>()
      if (values.length === 0) records.delete(type)
      else records.set(type, values)
      if (records.size === 0) zone.delete(key)
      else zone.set(key, records)
    },
    mode: (next) => {
      mode = next
    },
    queries: () => asked,
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}

// The parts of autocannon's API the HTTP bench uses (the package ships no types).
declare module "autocannon" {
  interface Options {
    url: string
    connections?: number
    pipelining?: number
    duration?: number
    method?: string
    headers?: Record<string, string>
    body?: string
    requests?: Array<{ method?: string; path?: string; headers?: Record<string, string>; body?: string }>
    /** Runs the load from this many worker threads. */
    workers?: number
  }
  interface Histogram {
    average: number
    p50: number
    p99: number
    mean: number
  }
  interface Result {
    requests: Histogram & { total: number }
    latency: Histogram
    errors: number
    timeouts: number
    non2xx: number
    "2xx": number
    "4xx": number
    "5xx": number
  }
  namespace autocannon {
    export type { Result }
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}

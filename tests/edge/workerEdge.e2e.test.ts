import { edgeConformance } from "./edgeConformance.ts"
import { workerHost } from "./support/hosts.ts"

// The Cloudflare Worker host (edge/worker.ts) under Miniflare: the real workerd runtime.
edgeConformance("Worker host under Miniflare", workerHost)

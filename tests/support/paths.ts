export const pgliteTemplatePath = new URL("../../.tmp/pglite-template.tar.gz", import.meta.url)

/** A migrated logs database (adapters/sql/logs), dumped once per run like the event store's. */
export const pgliteLogsTemplatePath = new URL("../../.tmp/pglite-logs-template.tar.gz", import.meta.url)

/** Text for HTML: `&`, `<`, `>`, quotes escaped. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )
}

/** Per second, from two readings of a counter `seconds` apart; undefined without a previous reading. */
export function rate(now: number, before: number | undefined, seconds: number): number | undefined {
  return before === undefined || seconds <= 0 ? undefined : Math.max(0, (now - before) / seconds)
}

/** `–` for nothing yet, whole numbers from 100 up, one decimal below. */
export function formatRate(value: number | undefined): string {
  if (value === undefined) return '–'
  return value >= 100 ? formatCount(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '')
}

/** `12,345`. */
export function formatCount(value: number): string {
  return value.toLocaleString('en')
}

/** `0.4 ms`, `12 ms`; `–` for no measurement. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === undefined || ms === null) return '–'
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${formatCount(Math.round(ms))} ms`
}

/** `512 B`, `1.5 kB`, `2.0 MB` (decimal units). */
export function formatBytes(bytes: number): string {
  if (bytes < 1_000) return `${bytes} B`
  if (bytes < 1_000_000) return `${(bytes / 1_000).toFixed(1)} kB`
  return `${(bytes / 1_000_000).toFixed(1)} MB`
}

/** `3 s ago`, `2 min ago`, from two clock readings in ms. */
export function formatAgo(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1_000))
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3_600) return `${Math.round(seconds / 60)} min ago`
  return `${Math.round(seconds / 3_600)} h ago`
}

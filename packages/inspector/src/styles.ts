/**
 * The inspector's styles, inside its shadow root. Colours and fonts come from
 * custom properties on the element (`--troupe-inspector-text`, `-muted`,
 * `-line`, `-tint`, `-green`, `-amber`, `-red`, `-font`, `-mono`), so a page
 * restyles it without reaching in; `::part(heading)`, `::part(note)` and
 * `::part(section)` are there for the rest.
 */
export const STYLES = `
:host {
  --ti-text: var(--troupe-inspector-text, #1f2328);
  --ti-muted: var(--troupe-inspector-muted, #6b7078);
  --ti-line: var(--troupe-inspector-line, #e6e3dc);
  --ti-tint: var(--troupe-inspector-tint, #f6f5f1);
  --ti-green: var(--troupe-inspector-green, #22a35a);
  --ti-amber: var(--troupe-inspector-amber, #b26b00);
  --ti-red: var(--troupe-inspector-red, #e5484d);
  --ti-mono: var(--troupe-inspector-mono, ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace);
  display: block;
  color: var(--ti-text);
  font: 14px / 1.45 var(--troupe-inspector-font, system-ui, sans-serif);
}
:host([hidden]) { display: none; }
section + section { margin-top: 18px; padding-top: 14px; border-top: 1px solid var(--ti-line); }
header h3 { display: flex; align-items: baseline; gap: 8px; margin: 0; font-size: 13.5px; }
header h3 code { font: 500 12px var(--ti-mono); color: var(--ti-muted); }
.note { margin: 2px 0 10px; font-size: 12px; color: var(--ti-muted); }
.body.stale { opacity: 0.5; }
h4 { margin: 14px 0 6px; font-size: 11px; font-weight: 650; letter-spacing: 0.06em; text-transform: uppercase; color: var(--ti-muted); }
.muted { color: var(--ti-muted); }
.small { font-size: 12px; }
.counts { margin: -2px 0 6px; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(84px, 1fr)); gap: 6px; }
.stat { display: flex; flex-direction: column; padding: 7px 8px; border-radius: 8px; background: var(--ti-tint); min-width: 0; }
.stat b { font-size: 16px; font-variant-numeric: tabular-nums; line-height: 1.2; }
.stat span { font-size: 10.5px; color: var(--ti-muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.table { width: 100%; border-collapse: collapse; font-size: 12.5px; }
.table th { padding: 4px 6px 4px 0; font-weight: 500; font-size: 11px; color: var(--ti-muted); text-align: left; border-bottom: 1px solid var(--ti-line); }
.table td { padding: 5px 6px 5px 0; border-bottom: 1px solid var(--ti-tint); white-space: nowrap; }
.table .num { text-align: right; font-variant-numeric: tabular-nums; }
.table .warn { color: var(--ti-amber); font-weight: 600; }
.table tr[data-status="down"] td, .table tr[data-status="left"] td { color: var(--ti-muted); }
.mono { font-family: var(--ti-mono); font-size: 11.5px; }
.tag { padding: 0 5px; border-radius: 4px; background: #eef2ff; color: #3651c9; font-size: 10px; font-weight: 600; vertical-align: 1px; }
.badge { padding: 1px 7px; border-radius: 999px; font-size: 11px; font-weight: 600; }
.badge-up { background: #e5f6ec; color: #176b3c; }
.badge-suspect { background: #fff4d6; color: #8a6100; }
.badge-down { background: #fde7e7; color: #a12c30; }
.badge-left { background: #efeff1; color: #6b7078; }
.dot { display: inline-block; width: 7px; height: 7px; margin-right: 6px; border-radius: 50%; vertical-align: 1px; }
.dot-on { background: var(--ti-green); }
.dot-off { background: var(--ti-red); }
.chips { display: flex; flex-wrap: wrap; gap: 6px; font-size: 12px; }
.chip { padding: 2px 8px; border-radius: 999px; background: #fdecec; color: #a12c30; }
.recent { margin: 8px 0 0; padding: 0; list-style: none; font-size: 12px; }
.recent li { padding: 3px 0; border-bottom: 1px solid var(--ti-tint); overflow-wrap: anywhere; }
details { margin-top: 12px; font-size: 12px; }
summary { cursor: pointer; color: var(--ti-muted); }
`

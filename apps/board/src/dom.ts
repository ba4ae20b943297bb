/** Small DOM helpers: no framework, just these. */

/** The element matching `selector` in `root`; throws if the page lacks it (a broken index.html). */
export function $<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const element = root.querySelector<T & Element>(selector)
  if (element === null) throw new Error(`the page has no ${selector}`)
  return element
}

type Props = {
  class?: string
  text?: string
  title?: string
  attrs?: Record<string, string>
  dataset?: Record<string, string>
}

/** `h('button', { class: 'btn', text: 'Add' }, child)` */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  if (props.class !== undefined) element.className = props.class
  if (props.text !== undefined) element.textContent = props.text
  if (props.title !== undefined) element.title = props.title
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value)
  Object.assign(element.dataset, props.dataset ?? {})
  element.append(...children)
  return element
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Text made safe for HTML, for the templates of the cluster panel. */
export const escapeHtml = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)

/** Sets an element's text only when it differs (no needless layout work in 1 s refreshes). */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text
}

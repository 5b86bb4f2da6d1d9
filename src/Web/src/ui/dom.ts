type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** Creates an element: h("button", { class: "primary", onclick: go, "data-testid": "x" }, "Entrar"). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }

  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }

  return element;
}

/** Replaces the contents of the main area with a page root marked data-page="name". */
export function mount(page: string, ...children: Child[]): HTMLElement {
  const app = document.getElementById("app")!;
  const root = h("section", { "data-page": page, class: `page page-${page}` }, ...children);
  app.replaceChildren(root);
  // A new page starts at its top: the agenda after a call kept the room's scroll, its heading off the screen.
  window.scrollTo(0, 0);
  app.focus({ preventScroll: true });
  return root;
}

/** A labelled input; the label wraps the control so screen readers and tests find it. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const error = h("span", { class: "field-error", "aria-live": "polite" });
  const wrapper = h("label", { class: "field" }, h("span", { class: "field-label" }, label), input, hint ? h("small", {}, hint) : null, error);
  return wrapper;
}

/** Shows field errors from a problem+json next to the inputs named like the fields. */
export function showFieldErrors(form: HTMLElement, errors: Record<string, string>): void {
  form.querySelectorAll<HTMLElement>(".field-error").forEach((e) => (e.textContent = ""));
  for (const [name, message] of Object.entries(errors)) {
    const input = form.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`);
    const error = input?.closest(".field")?.querySelector<HTMLElement>(".field-error");
    if (error) error.textContent = message;
  }
}

export function message(kind: "info" | "error" | "success", text: string, testId?: string): HTMLElement {
  return h("p", { class: `message message-${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": testId }, text);
}

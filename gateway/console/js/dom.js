// Building the DOM from nodes and text, never from markup strings (no injection from API data).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** A labelled form field. */
export function field(label, attrs) {
  const id = attrs.id ?? `f-${attrs.name}`;
  return h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, ...attrs }));
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/** An alert region for a form's error; `show(text)` fills it, `show(null)` empties it. */
export function errorBox() {
  const box = h("p", { class: "error", role: "alert", hidden: true });
  box.show = (text) => {
    box.textContent = text ?? "";
    box.hidden = !text;
  };
  return box;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return "–";
  const total = Math.round(ms / 1000);
  const minutes = Math.floor(total / 60);
  return `${minutes}:${String(total % 60).padStart(2, "0")}`;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}

// A polite status line above the page, for "done" messages that outlive a route change.
let timer = null;

export function flash(text) {
  const box = document.getElementById("flash");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => {
    box.hidden = true;
  }, 8_000);
}

// The console's entry point: hash routes (#/library, #/videos/7 ...) so the gateway serves
// one page and no token or route detail reaches a server log.
import * as api from "./api.js";
import * as session from "./session.js";
import { flash } from "./flash.js";
import { showSignup, showLogin, showJoin } from "./views/auth.js";
import { showLibrary } from "./views/library.js";
import { showUpload } from "./views/upload.js";
import { showVideo } from "./views/player.js";
import { showTrash } from "./views/trash.js";
import { showMembers } from "./views/members.js";
import { showPoints } from "./views/points.js";

const PUBLIC = { signup: showSignup, login: showLogin, join: showJoin };
const PRIVATE = {
  library: showLibrary,
  upload: showUpload,
  trash: showTrash,
  members: showMembers,
  points: showPoints,
  videos: showVideo,
};

let me = null;
let cleanup = null;

function parseHash() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "", ...rest] = path.split("/");
  return { name, args: rest, params: new URLSearchParams(query) };
}

async function loadMe() {
  if (!session.current()) {
    me = null;
    return;
  }
  try {
    me = await api.get("/api/v1/users/me");
  } catch {
    me = null;
    session.clear();
  }
}

function paintChrome() {
  const nav = document.getElementById("nav");
  nav.hidden = !me;
  document.getElementById("who").hidden = !me;
  if (!me) return;
  document.getElementById("who-name").textContent = `${me.name || me.email} (${me.role})`;
  for (const item of nav.querySelectorAll("[data-admin]")) item.hidden = me.role !== "admin";
  for (const link of nav.querySelectorAll("a")) {
    const active = location.hash.startsWith(link.getAttribute("href"));
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function route() {
  cleanup?.();
  cleanup = null;
  const { name, args, params } = parseHash();
  const main = document.getElementById("main");
  if (!me && session.current()) await loadMe();
  let view = PUBLIC[name];
  if (!view) {
    if (!me) {
      location.replace("#/login");
      return;
    }
    view = PRIVATE[name];
    if (!view) {
      location.replace("#/library");
      return;
    }
  }
  paintChrome();
  main.replaceChildren();
  const ctx = { me, args, params, main, signedIn };
  cleanup = (await view(ctx)) ?? null;
  const heading = main.querySelector("h1");
  document.title = `${heading?.textContent ?? "Console"} · media-resource`;
  main.focus({ preventScroll: true });
}

/** After a login: remember the user, go to the library. */
async function signedIn(tokens, message) {
  session.store(tokens);
  await loadMe();
  if (message) flash(message);
  location.hash = "#/library";
}

document.getElementById("logout").addEventListener("click", async () => {
  const s = session.current();
  if (s) {
    await api.post("/api/v1/auth/logout", { refresh_token: s.refreshToken }, { auth: false }).catch(() => {});
  }
  session.clear();
  me = null;
  flash("Logged out.");
  location.hash = "#/login";
});

session.onChange((s) => {
  if (!s && me) {
    me = null;
    location.hash = "#/login";
  }
});

window.addEventListener("hashchange", route);
session.resume();
route();

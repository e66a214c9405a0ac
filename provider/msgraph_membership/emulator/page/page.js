// The emulator's read-only page: polls /_emulator/live and redraws what changed.
// Names and paths are put in the page as text, never as HTML.
"use strict";

(function () {
  const POLL_MS = 1000;
  const KEEP_REQUESTS = 5000; // in the page; the emulator keeps its whole log
  const SHOW_REQUESTS = 500;  // rows drawn, newest first

  const state = { etag: null, directory: null, since: 0, requests: [], apps: new Set(),
                  collapsed: new Set(), paused: false };
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
    return node;
  }

  // --- directory ------------------------------------------------------------------------------
  function matches(text, q) { return text.toLowerCase().includes(q); }

  function drawContainers(target, containers, q, withKind) {
    const frag = document.createDocumentFragment();
    let shown = 0;
    for (const c of containers) {
      const own = !q || matches(`${c.displayName} ${c.id} ${c.kind || ""}`, q);
      const members = own ? c.members : c.members.filter((m) => matches(`${m.name} ${m.id} ${m.type}`, q));
      if (!own && members.length === 0) continue;
      shown++;
      const summary = el("summary", {}, el("strong", {}, c.displayName));
      if (withKind) summary.append(el("span", { class: "kind" }, c.kind));
      summary.append(el("span", { class: "n" }, ` ${c.members.length} member${c.members.length === 1 ? "" : "s"}`),
                     el("span", { class: "id" }, c.id));
      const details = el("details", { class: "container", "data-id": c.id }, summary);
      if (!state.collapsed.has(c.id)) details.open = true;
      details.addEventListener("toggle", () => {
        if (details.open) state.collapsed.delete(c.id); else state.collapsed.add(c.id);
      });
      if (members.length === 0) {
        details.append(el("div", { class: "empty" }, "no members"));
      } else {
        const body = el("tbody");
        for (const m of members) {
          body.append(el("tr", { class: "member", "data-id": m.id, "data-type": m.type },
            el("td", { class: "type" }, m.type), el("td", { class: "name" }, m.name), el("td", { class: "id" }, m.id)));
        }
        details.append(el("table", { class: "members" },
          el("thead", {}, el("tr", {}, el("th", {}, "type"), el("th", {}, "name"), el("th", {}, "id"))), body));
      }
      frag.append(details);
    }
    if (shown === 0) frag.append(el("div", { class: "empty" }, q ? "nothing matches" : "none"));
    target.replaceChildren(frag);
    return shown;
  }

  function drawDirectory() {
    const d = state.directory;
    if (!d) return;
    const q = $("search").value.trim().toLowerCase();
    const g = drawContainers($("groups"), d.groups, q, true);
    const u = drawContainers($("units"), d.administrativeUnits, q, false);
    $("group-count").textContent = q ? `${g} of ${d.groups.length}` : `${d.groups.length}`;
    $("unit-count").textContent = q ? `${u} of ${d.administrativeUnits.length}` : `${d.administrativeUnits.length}`;
    $("counts").textContent = Object.entries(d.counts).map(([k, n]) => `${n} ${k}`).join(" · ");
  }

  // --- requests -------------------------------------------------------------------------------
  function statusClass(r) { return r.status == null ? "none" : String(r.status); }

  // A request path as a person reads it: percent-escapes decoded, and "+" in the query as a
  // space ("%24filter=id+eq+%27x%27" shows as "$filter=id eq 'x'"). The raw path is the tooltip.
  function decodePart(text, plusIsSpace) {
    try { return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, " ") : text); } catch (e) { return text; }
  }
  function readablePath(raw) {
    const q = raw.indexOf("?");
    return q < 0 ? decodePart(raw, false) : decodePart(raw.slice(0, q), false) + "?" + decodePart(raw.slice(q + 1), true);
  }

  function keep(r) {
    const kind = $("f-kind").value, method = $("f-method").value, status = $("f-status").value;
    const app = $("f-app").value, path = $("f-path").value.trim().toLowerCase();
    if (kind && r.kind !== kind) return false;
    if (method && r.method !== method) return false;
    if (status === "none" ? r.status != null : status && !statusClass(r).startsWith(status)) return false;
    if (app && r.app !== app) return false;
    if ($("f-faulted").checked && !r.fault && !r.batch_faults) return false;
    if (path && !readablePath(r.path).toLowerCase().includes(path) && !r.path.toLowerCase().includes(path)) return false;
    return true;
  }

  function drawRequests() {
    const rows = [];
    let matched = 0;
    for (let i = state.requests.length - 1; i >= 0; i--) {
      const r = state.requests[i];
      if (!keep(r)) continue;
      matched++;
      if (rows.length >= SHOW_REQUESTS) continue;
      const fault = r.fault || (r.batch_faults ? `${r.batch_faults} of ${r.batch_items} items faulted` : "");
      const tr = el("tr", { "data-seq": r.seq, "data-status": statusClass(r), "data-kind": r.kind,
                            class: fault ? "faulted" : "" },
        el("td", {}, (r.time || "").slice(11, 23)),
        el("td", {}, r.method),
        el("td", { class: "path", title: r.path },
           readablePath(r.path) + (r.batch_items != null ? `  [${r.batch_items} items]` : "")),
        el("td", { class: "status" }, r.status == null ? "—" : r.status),
        el("td", { class: "num" }, r.duration_ms == null ? "" : r.duration_ms.toFixed(1)),
        el("td", { class: "fault" }, fault),
        el("td", { class: "id app" }, r.app || ""));
      rows.push(tr);
    }
    $("requests").tBodies[0].replaceChildren(...rows);
    const total = state.requests.length;
    $("request-count").textContent = matched === total ? `${total}` : `${matched} of ${total}`;
  }

  function addApps(entries) {
    const select = $("f-app");
    for (const r of entries) {
      if (r.app && !state.apps.has(r.app)) {
        state.apps.add(r.app);
        select.append(el("option", { value: r.app }, r.app));
      }
    }
  }

  // --- faults ---------------------------------------------------------------------------------
  function drawFaults(faults) {
    const active = Object.entries(faults || {}).filter(([, v]) => v !== null && v !== 0 && v !== false);
    const node = $("faults");
    node.dataset.active = String(active.length > 0);
    node.textContent = active.length
      ? "Faults in force: " + active.map(([k, v]) => `${k} ${v}`).join(", ")
      : "Faults: none";
  }

  // --- polling --------------------------------------------------------------------------------
  function setStatus(s, text) { const n = $("status"); n.dataset.state = s; n.textContent = text; }

  async function poll() {
    if (state.paused) return;
    const url = `/_emulator/live?since=${state.since}` + (state.etag ? `&directory=${state.etag}` : "");
    try {
      const resp = await fetch(url, { cache: "no-store" });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const doc = await resp.json();
      $("tenant").textContent = doc.tenant_id;
      $("domain").textContent = doc.domain ? `(${doc.domain})` : "";
      if (doc.directory) {
        state.directory = doc.directory;
        state.etag = doc.directory_etag;
        drawDirectory();
      }
      if (doc.requests.length) {
        state.requests.push(...doc.requests);
        if (state.requests.length > KEEP_REQUESTS) state.requests.splice(0, state.requests.length - KEEP_REQUESTS);
        addApps(doc.requests);
        drawRequests();
      } else if (state.since === 0) {
        drawRequests();
      }
      state.since = doc.last_seq;
      drawFaults(doc.faults);
      setStatus("live", `live · ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      setStatus("down", `no answer (${e.message}); retrying`);
    }
  }

  function loop() { poll().finally(() => setTimeout(loop, POLL_MS)); }

  document.addEventListener("DOMContentLoaded", () => {
    $("search").addEventListener("input", drawDirectory);
    for (const id of ["f-kind", "f-method", "f-status", "f-app", "f-faulted", "f-path"]) {
      $(id).addEventListener("input", drawRequests);
      $(id).addEventListener("change", drawRequests);
    }
    $("pause").addEventListener("click", () => {
      state.paused = !state.paused;
      $("pause").textContent = state.paused ? "Resume" : "Pause";
      if (state.paused) setStatus("paused", "paused"); else poll();
    });
    loop();
  });
})();

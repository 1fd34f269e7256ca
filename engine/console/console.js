// corridor console: payments, one payment's timeline as a sequence diagram, the attention queue and
// the flows' diagrams, from the operations API (docs/console.md). Plain JavaScript, no library: every
// value from the API is written with textContent or as an SVG attribute, never as HTML. One file: the
// pages share the API client, the token and the DOM helpers, and a page served under a strict
// Content-Security-Policy is simplest with one script of its own.
"use strict";

(function () {
  const TOKEN_KEY = "corridor.token";
  const SVG = "http://www.w3.org/2000/svg";
  const main = document.getElementById("main");

  // ---- the API, with the token kept in sessionStorage -------------------------------------------
  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

  class Unauthorized extends Error {}

  async function api(path, options) {
    const init = Object.assign({ headers: {} }, options || {});
    if (token()) init.headers["Authorization"] = "Bearer " + token();
    const response = await fetch(path, init);
    if (response.status === 401) {
      askForToken();
      throw new Unauthorized("a bearer token is required");
    }
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = { error: text }; }
    return { status: response.status, body: body };
  }

  async function apiOk(path) {
    const r = await api(path);
    if (r.status !== 200) throw new Error((r.body && r.body.error) || ("HTTP " + r.status));
    return r.body;
  }

  function askForToken() {
    document.getElementById("token-form").hidden = false;
    document.getElementById("token-input").focus();
  }

  document.getElementById("token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    const value = document.getElementById("token-input").value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    document.getElementById("token-input").value = "";
    document.getElementById("token-form").hidden = true;
    render();
  });
  document.getElementById("token-forget").addEventListener("click", function () {
    sessionStorage.removeItem(TOKEN_KEY);
    render();
  });

  // ---- DOM helpers ----------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(...nodes) {
    main.replaceChildren(...nodes);
  }

  function failed(error) {
    if (error instanceof Unauthorized) {
      show(el("p", { class: "error", text: "This listener needs a bearer token: enter it above." }));
    } else {
      show(el("p", { class: "error", text: String(error.message || error) }));
    }
    main.dataset.state = "error";
  }

  function money(m) { return m ? m.value + " " + m.currency : ""; }
  function statusCell(s) { return el("td", { class: "status status-" + (s || "none"), text: s || "" }); }

  function payLink(txn) {
    return el("a", { href: "#/payment/" + encodeURIComponent(txn), class: "mono", text: txn });
  }

  function paymentsTable(rows, extra) {
    const head = el("tr", {}, ...["created", "txn_id", "merchant", "reference", "flow", "amount", "status", "state"]
      .concat(extra ? [extra.title] : []).map((h) => el("th", { text: h })));
    const table = el("table", { id: "payments-table" }, el("thead", {}, head));
    const body = el("tbody");
    table.append(body);
    appendRows(body, rows, extra);
    return table;
  }

  function appendRows(body, rows, extra) {
    for (const p of rows) {
      const tr = el("tr", { "data-txn": p.txn_id },
        el("td", { class: "mono", text: p.created_at }),
        el("td", {}, payLink(p.txn_id)),
        el("td", { text: p.merchant }),
        el("td", { class: "mono", text: p.reference }),
        el("td", { text: p.provider + "." + p.flow }),
        el("td", { text: money(p.amount) }),
        statusCell(p.status),
        el("td", { text: p.state }));
      if (extra) tr.append(el("td", {}, extra.cell(p)));
      body.append(tr);
    }
  }

  // ---- Payments ---------------------------------------------------------------------------------
  const FILTERS = ["merchant", "reference", "status", "provider", "flow", "since"];
  const STATUSES = ["", "pending", "requires_action", "processing", "succeeded", "failed", "declined", "cancelled",
    "expired", "refunded", "partially_refunded", "unknown", "amount_mismatch"];

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    return q.toString();
  }

  async function paymentList(params, extra, heading) {
    const form = el("form", { class: "filters", id: "filters" });
    for (const f of FILTERS) {
      let input;
      if (f === "status") {
        input = el("select", { name: f }, ...STATUSES.map((s) => el("option", { value: s, text: s || "any" })));
        input.value = params[f] || "";
      } else {
        input = el("input", { name: f, value: params[f] || "", size: f === "since" ? 22 : 14,
          placeholder: f === "since" ? "2026-11-22T10:00:00Z" : "" });
      }
      form.append(el("label", {}, f, input));
    }
    form.append(el("button", { type: "submit", class: "primary", text: "Filter" }));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      const next = {};
      for (const f of FILTERS) next[f] = form.elements[f].value.trim();
      location.hash = (params.attention ? "#/attention?" : "#/payments?") + query(next);
    });

    const page = await apiOk("/v1/payments?" + query(Object.assign({ limit: 50 }, params)));
    const table = paymentsTable(page.payments, extra);
    const more = el("button", { id: "more", type: "button", text: "More" });
    let cursor = page.next_cursor;
    more.hidden = !cursor;
    more.addEventListener("click", async function () {
      try {
        const next = await apiOk("/v1/payments?" + query(Object.assign({ limit: 50, cursor: cursor }, params)));
        appendRows(table.tBodies[0], next.payments, extra);
        cursor = next.next_cursor;
        more.hidden = !cursor;
      } catch (e) { failed(e); }
    });
    const empty = page.payments.length ? null : el("p", { class: "muted", text: "No payment matches." });
    show(el("h2", { text: heading }), form, table, empty, more);
  }

  // ---- Attention: reconcile asks the provider again ---------------------------------------------
  function reconcileButton(p) {
    const box = el("span");
    const answer = el("div", { class: "answer" });
    const button = el("button", { type: "button", "data-txn": p.txn_id, class: "reconcile", text: "Reconcile" });
    button.addEventListener("click", async function () {
      button.disabled = true;
      try {
        const r = await api("/v1/payments/" + encodeURIComponent(p.txn_id) + "/reconcile", {
          method: "POST",
          headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey() },
          body: "{}",
        });
        answer.textContent = r.status + " " + JSON.stringify(r.body);
      } catch (e) {
        answer.textContent = String(e.message || e);
      }
      button.disabled = false;
    });
    box.append(button, answer);
    return box;
  }

  function idempotencyKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "console-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---- One payment and its timeline -------------------------------------------------------------
  const LANES = ["upstream", "corridor", "provider"];

  async function payment(txn) {
    const [t, tl] = await Promise.all([
      apiOk("/v1/transactions/" + encodeURIComponent(txn)),
      apiOk("/v1/transactions/" + encodeURIComponent(txn) + "/timeline"),
    ]);
    const fields = el("dl", { class: "fields", id: "payment-fields" });
    for (const k of ["txn_id", "merchant", "reference", "provider", "flow", "amount", "amount_refunded",
      "provider_amount", "state", "status", "version", "provider_refs", "next_action", "reason", "attention",
      "created_at", "updated_at", "rejected_inputs"]) {
      if (!(k in t)) continue;
      const v = t[k];
      const text = v === null ? "—" : typeof v === "object" ? (k.indexOf("amount") >= 0 ? money(v) : JSON.stringify(v))
        : String(v);
      fields.append(el("dt", { text: k }), el("dd", { text: text }));
    }
    const table = el("table", { id: "timeline-table" }, el("thead", {}, el("tr", {},
      ...["at", "from", "to", "kind", "name", "detail"].map((h) => el("th", { text: h })))));
    const body = el("tbody");
    for (const e of tl.entries) {
      body.append(el("tr", { "data-kind": e.kind },
        el("td", { class: "mono", text: e.at }), el("td", { text: e.from }), el("td", { text: e.to }),
        el("td", { text: e.kind }), el("td", { text: e.name }),
        el("td", { class: "mono", text: JSON.stringify(e.detail) })));
    }
    table.append(body);
    show(el("h2", { text: "Payment " + t.reference + " (" + t.merchant + ")" }), fields,
      el("h3", { text: "Timeline" }), el("div", { class: "svgbox" }, sequence(tl.entries)), table);
  }

  // A sequence diagram: one lifeline per party, one arrow per entry, its time on the left.
  function sequence(entries) {
    const laneX = { upstream: 260, corridor: 560, provider: 860 };
    const top = 50, step = 38, width = 1000;
    const height = top + step * (entries.length + 1);
    const root = svg("svg", { id: "timeline", width: width, height: height, viewBox: "0 0 " + width + " " + height,
      role: "img", "aria-label": "timeline" });
    const defs = svg("defs");
    const marker = svg("marker", { id: "arrowhead", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
      markerHeight: 7, orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z" }));
    defs.append(marker);
    root.append(defs);
    for (const lane of LANES) {
      root.append(svg("text", { x: laneX[lane], y: 24, "text-anchor": "middle", class: "lane" }, lane));
      root.append(svg("line", { x1: laneX[lane], y1: 32, x2: laneX[lane], y2: height - 8, class: "lifeline" }));
    }
    entries.forEach(function (e, i) {
      const y = top + step * i + 14;
      const g = svg("g", { class: "entry kind-" + e.kind, "data-kind": e.kind });
      g.append(svg("text", { x: 8, y: y + 4, class: "time" }, e.at.replace("T", " ").replace("Z", "")));
      const x1 = laneX[e.from] || laneX.corridor, x2 = laneX[e.to] || laneX.corridor;
      let label = e.kind + " " + e.name;
      if (e.detail && e.detail.op) label += " (" + e.detail.op + ")";
      if (e.kind === "event" && e.detail) label = (e.detail.state || e.name) + " · " + (e.detail.status || "");
      if (e.kind === "timer") label += e.detail && e.detail.set ? " set" : " fired";
      if (x1 === x2) {
        g.append(svg("path", { d: "M" + x1 + "," + (y - 6) + " h40 v14 h-38", class: "arrow",
          "marker-end": "url(#arrowhead)" }));
        g.append(svg("text", { x: x1 + 48, y: y + 4 }, label));
      } else {
        g.append(svg("line", { x1: x1, y1: y, x2: x2 + (x2 > x1 ? -2 : 2), y2: y, class: "arrow",
          "marker-end": "url(#arrowhead)" }));
        g.append(svg("text", { x: (x1 + x2) / 2, y: y - 5, "text-anchor": "middle" }, label));
      }
      const title = svg("title", {}, e.at + "  " + e.from + " → " + e.to + "  " + JSON.stringify(e.detail));
      g.append(title);
      root.append(g);
    });
    return root;
  }

  // ---- Flows ------------------------------------------------------------------------------------
  async function flows(id) {
    const all = (await apiOk("/v1/flows")).flows;
    const pick = el("select", { id: "flow-pick" }, ...all.map((f) => el("option", { value: f.id, text: f.id })));
    const flow = all.find((f) => f.id === id) || all[0];
    if (!flow) return show(el("p", { class: "muted", text: "No flow." }));
    pick.value = flow.id;
    pick.addEventListener("change", function () { location.hash = "#/flows/" + encodeURIComponent(pick.value); });
    const rows = el("tbody");
    for (const t of flow.transitions)
      rows.append(el("tr", {}, el("td", { text: t.from }), el("td", { text: t.input }),
        el("td", { text: t.guard }), el("td", { text: t.to })));
    const table = el("table", { id: "flow-table" }, el("thead", {}, el("tr", {},
      ...["from", "input", "guard", "to"].map((h) => el("th", { text: h })))), rows);
    show(el("h2", {}, "Flow ", pick), el("div", { class: "svgbox" }, flowDiagram(flow)), table);
  }

  // Layered: a state's layer is its distance from the initial state; states no row reaches go last.
  function flowDiagram(flow) {
    const layer = {};
    layer[flow.initial] = 0;
    const queue = [flow.initial];
    while (queue.length) {
      const s = queue.shift();
      for (const t of flow.transitions)
        if (t.from === s && !(t.to in layer)) { layer[t.to] = layer[s] + 1; queue.push(t.to); }
    }
    let deepest = Math.max(0, ...Object.values(layer));
    for (const s of flow.states) if (!(s.name in layer)) layer[s.name] = deepest + 1;
    deepest = Math.max(0, ...Object.values(layer));
    const byLayer = [];
    for (const s of flow.states) (byLayer[layer[s.name]] = byLayer[layer[s.name]] || []).push(s);
    const boxW = 180, boxH = 40, gapX = 50, gapY = 90;
    const widest = Math.max(...byLayer.map((l) => (l ? l.length : 0)));
    const width = Math.max(600, widest * (boxW + gapX) + gapX), height = (deepest + 1) * (boxH + gapY) + gapY;
    const pos = {};
    byLayer.forEach(function (states, d) {
      if (!states) return;
      const span = states.length * boxW + (states.length - 1) * gapX;
      states.forEach(function (s, i) {
        pos[s.name] = { x: (width - span) / 2 + i * (boxW + gapX), y: gapY / 2 + d * (boxH + gapY) };
      });
    });
    const root = svg("svg", { id: "flow-diagram", width: width, height: height, viewBox: "0 0 " + width + " " + height });
    const defs = svg("defs");
    const marker = svg("marker", { id: "flowhead", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6,
      markerHeight: 6, orient: "auto" });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z" }));
    defs.append(marker);
    root.append(defs);
    // One edge per pair of states: its label names the first input and how many more; all of them,
    // with their guards, are in its tooltip and in the table below.
    const edges = new Map();
    for (const t of flow.transitions) {
      const key = t.from + "\u0000" + t.to;
      if (!edges.has(key)) edges.set(key, { from: t.from, to: t.to, inputs: [] });
      const label = t.input + (t.guard ? " [" + t.guard + "]" : "");
      if (!edges.get(key).inputs.includes(label)) edges.get(key).inputs.push(label);
    }
    const fanout = {};
    for (const e of edges.values()) {
      const a = pos[e.from], b = pos[e.to];
      if (!a || !b) continue;
      const names = [...new Set(e.inputs.map((i) => i.split(" [")[0]))];
      const text = names[0] + (names.length > 1 ? " +" + (names.length - 1) : "");
      const g = svg("g", { class: "edge-group" });
      let d, lx, ly;
      if (e.from === e.to) {
        d = "M" + (a.x + boxW) + "," + (a.y + 12) + " c34,-16 34,32 0,16";
        lx = a.x + boxW + 30; ly = a.y + boxH + 12;
      } else {
        const n = fanout[e.from] = (fanout[e.from] || 0) + 1;
        const ax = a.x + boxW / 2, ay = a.y + boxH, bx = b.x + boxW / 2;
        const up = b.y <= a.y;
        const by = up ? b.y + boxH : b.y;
        const bend = up ? 90 + n * 6 : 0;
        const mx = (ax + bx) / 2 + bend, my = (ay + by) / 2;
        d = "M" + ax + "," + ay + " Q" + mx + "," + my + " " + bx + "," + by;
        lx = (ax + 2 * mx + bx) / 4; ly = (ay + 2 * my + by) / 4 + ((n % 3) - 1) * 11;
      }
      g.append(svg("path", { d: d, class: "edge", "marker-end": "url(#flowhead)" }));
      g.append(svg("text", { x: lx, y: ly, class: "edge-label", "text-anchor": "middle" }, text));
      g.append(svg("title", {}, e.from + " → " + e.to + ":\n" + e.inputs.join("\n")));
      root.append(g);
    }
    for (const s of flow.states) {
      const p = pos[s.name];
      const cls = "state" + (s.terminal ? " terminal" : "") + (s.name === flow.initial ? " initial" : "");
      root.append(svg("rect", { x: p.x, y: p.y, width: boxW, height: boxH, rx: 6, class: cls }));
      root.append(svg("text", { x: p.x + boxW / 2, y: p.y + 17, "text-anchor": "middle" }, s.name));
      root.append(svg("text", { x: p.x + boxW / 2, y: p.y + 32, "text-anchor": "middle", class: "state-status" },
        s.status));
    }
    return root;
  }

  // ---- Routing: #/payments?…, #/payment/{txn_id}, #/attention?…, #/flows/{id} ---------------------
  async function render() {
    document.getElementById("token-forget").hidden = !token();
    main.dataset.state = "loading";
    const hash = location.hash || "#/payments";
    const [path, search] = hash.slice(1).split("?");
    const params = Object.fromEntries(new URLSearchParams(search || ""));
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    for (const a of document.querySelectorAll("nav a"))
      a.classList.toggle("active", a.getAttribute("href") === "#/" + (parts[0] === "payment" ? "payments" : parts[0]));
    try {
      if (parts[0] === "payment" && parts[1]) await payment(parts[1]);
      else if (parts[0] === "attention")
        await paymentList(Object.assign({}, params, { attention: "true" }), { title: "reconcile", cell: reconcileButton },
          "Needs attention (unknown, disputed, amount mismatch, late outcome)");
      else if (parts[0] === "flows") await flows(parts[1]);
      else await paymentList(params, null, "Payments");
      main.dataset.state = "ready";
    } catch (e) {
      failed(e);
    }
  }

  window.addEventListener("hashchange", render);
  render();
})();

// The network view's link chart: fetches /api/cases/{id}/network, lays the nodes out with a small
// force-directed simulation written here (no library, nothing from a CDN, no inline script: the
// Content Security Policy forbids them), and draws SVG. Node colour = community, size = degree,
// a ring = key player; every line is an evidenced link, drawn solid (requirement 31), and opens
// its rows. Evidence text (numbers, IMEIs) is only ever set as text, never as markup.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 1000;
  const HEIGHT = 640;
  // Okabe-Ito and Tableau colours, distinguishable for most colour vision; beyond them grey.
  const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9",
    "#8c564b", "#6a3d9a", "#b15928", "#1b9e77", "#7570b3", "#e7298a"];
  const OTHER = "#9aa0a6";

  const form = document.getElementById("network-filters");
  const svg = document.getElementById("network-chart");
  if (!form || !svg) return;
  const caseId = form.dataset.case;
  const status = document.getElementById("network-status");
  const detail = document.getElementById("network-detail");
  const legend = document.getElementById("network-legend");
  const caveat = document.getElementById("network-caveat");
  const method = document.getElementById("network-method");

  let chart = null; // the API's answer, with positions added
  let query = ""; // the filters of the chart drawn, reused when a line is opened
  let expanded = new Set(); // nodes whose neighbours are shown; empty = every node shown

  // An SVG element with attributes (presentation attributes, not style: the CSP allows no
  // inline style) and, if given, text.
  function el(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function colour(community) {
    return community >= 1 && community <= PALETTE.length ? PALETTE[community - 1] : OTHER;
  }

  function radius(node) {
    return 4 + 2.2 * Math.sqrt(node.degree);
  }

  function filters() {
    const params = new URLSearchParams();
    params.append("kind", "number");
    const handsets = form.querySelector('input[name="kind"][value="handset"]');
    if (handsets && handsets.checked) params.append("kind", "handset");
    const since = form.elements.namedItem("since").value;
    const until = form.elements.namedItem("until").value;
    if (since) params.append("since", `${since}T00:00:00Z`);
    if (until) {
      // the date is inclusive: the window ends at the start of the next day
      const next = new Date(`${until}T00:00:00Z`);
      next.setUTCDate(next.getUTCDate() + 1);
      params.append("until", next.toISOString().replace(".000Z", "Z"));
    }
    return params.toString();
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error((data.error && data.error.message) || `request failed (${response.status})`);
    }
    return data;
  }

  // --- layout ------------------------------------------------------------------------------

  // Deterministic start: communities' centres on a sunflower spiral, each community's members
  // on a small spiral round its centre, in the order the API gives them (community, rank).
  function initialPositions(nodes) {
    const golden = Math.PI * (3 - Math.sqrt(5));
    const groups = new Map();
    for (const node of nodes) {
      if (!groups.has(node.community)) groups.set(node.community, []);
      groups.get(node.community).push(node);
    }
    const spread = Math.sqrt(nodes.length) * 22 + 40;
    let g = 0;
    for (const members of groups.values()) {
      const r = g === 0 ? 0 : spread * Math.sqrt(g / groups.size) * 1.4;
      const cx = r * Math.cos(g * golden);
      const cy = r * Math.sin(g * golden);
      members.forEach((node, i) => {
        const d = 14 * Math.sqrt(i);
        node.x = cx + d * Math.cos(i * golden);
        node.y = cy + d * Math.sin(i * golden);
        node.vx = 0;
        node.vy = 0;
      });
      g += 1;
    }
  }

  // A fixed number of steps of springs (links), repulsion (every pair; fine for the few hundred
  // nodes the API sends at most) and a pull to the centre, with cooling: the same data always
  // gives the same picture.
  function simulate(nodes, links) {
    const n = nodes.length;
    if (n === 0) return;
    const steps = n > 300 ? 160 : 300;
    const ideal = 60;
    const index = new Map(nodes.map((node, i) => [node.id, i]));
    const pairs = links.map((link) => [index.get(link.source), index.get(link.target), link.weight]);
    for (let step = 0; step < steps; step += 1) {
      const heat = 1 - step / steps;
      for (let i = 0; i < n; i += 1) {
        const a = nodes[i];
        for (let j = i + 1; j < n; j += 1) {
          const b = nodes[j];
          let dx = a.x - b.x;
          let dy = a.y - b.y;
          let d2 = dx * dx + dy * dy;
          if (d2 < 0.01) { dx = (i - j) * 0.01; dy = 0.01; d2 = dx * dx + dy * dy; }
          if (d2 > 250000) continue; // far apart: no push worth computing
          const push = (ideal * ideal) / d2;
          a.vx += dx * push * 0.05; a.vy += dy * push * 0.05;
          b.vx -= dx * push * 0.05; b.vy -= dy * push * 0.05;
        }
      }
      for (const [s, t, w] of pairs) {
        const a = nodes[s];
        const b = nodes[t];
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const d = Math.sqrt(dx * dx + dy * dy) || 0.01;
        const pull = ((d - ideal) / d) * (0.04 + 0.01 * Math.min(Math.log1p(w), 3));
        a.vx += dx * pull; a.vy += dy * pull;
        b.vx -= dx * pull; b.vy -= dy * pull;
      }
      for (const node of nodes) {
        node.vx -= node.x * 0.004;
        node.vy -= node.y * 0.004;
        const speed = Math.sqrt(node.vx * node.vx + node.vy * node.vy);
        const most = 30 * heat + 1;
        const scale = speed > most ? most / speed : 1;
        node.x += node.vx * scale;
        node.y += node.vy * scale;
        node.vx *= 0.5;
        node.vy *= 0.5;
      }
    }
  }

  function fit(nodes) {
    if (!nodes.length) { svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`); return; }
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const node of nodes) {
      const r = radius(node) + 4;
      x0 = Math.min(x0, node.x - r); y0 = Math.min(y0, node.y - r);
      x1 = Math.max(x1, node.x + r + 90); y1 = Math.max(y1, node.y + r + 14);
    }
    // a small network is not blown up: the box is at least 700 wide and 450 high, centred
    let w = x1 - x0;
    let h = y1 - y0;
    if (w < 700) { x0 -= (700 - w) / 2; w = 700; }
    if (h < 450) { y0 -= (450 - h) / 2; h = 450; }
    // keep the drawing's proportions: widen the box to the area's aspect
    if (w / h < WIDTH / HEIGHT) { const more = h * (WIDTH / HEIGHT) - w; x0 -= more / 2; w += more; }
    else { const more = w * (HEIGHT / WIDTH) - h; y0 -= more / 2; h += more; }
    svg.setAttribute("viewBox", `${x0.toFixed(1)} ${y0.toFixed(1)} ${w.toFixed(1)} ${h.toFixed(1)}`);
  }

  // --- drawing -----------------------------------------------------------------------------

  function draw() {
    svg.replaceChildren();
    const nodes = chart.nodes;
    const byId = chart.byId;
    const visible = visibleNodes();
    const linkLayer = el("g", { class: "network-links" });
    const nodeLayer = el("g", { class: "network-nodes" });
    for (const link of chart.links) {
      if (!visible.has(link.source) || !visible.has(link.target)) continue;
      const a = byId.get(link.source);
      const b = byId.get(link.target);
      const group = el("g", {
        class: "network-link", "data-kind": link.kind, "data-basis": link.basis,
        "data-source": link.source, "data-target": link.target,
        tabindex: 0, role: "button",
        "aria-label": `${link.kind} link ${a.label} – ${b.label}, ${link.weight} (${link.rows} rows)`,
      });
      const width = Math.min(1 + Math.log2(link.weight), 8);
      // evidenced: solid line (requirement 31); handset links grey, communications dark
      group.append(
        el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: link.kind === "handset" ? "#8c959f" : "#3d4852", "stroke-width": width, "stroke-linecap": "round" }),
        el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: "transparent", "stroke-width": Math.max(width, 10), class: "hit" }),
        el("title", {}, `${a.label} – ${b.label}: ${link.weight} ${link.kind === "handset" ? "record(s)" : "contact event(s)"}, ${link.rows} row(s) in ${link.exhibits.join(", ")}`),
      );
      group.addEventListener("click", () => openLink(link));
      group.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openLink(link); } });
      linkLayer.append(group);
    }
    for (const node of nodes) {
      if (!visible.has(node.id)) continue;
      const r = radius(node);
      const group = el("g", {
        class: "network-node", "data-id": node.id, "data-kind": node.kind,
        "data-community": node.community, "data-key-player": node.key_player ? "true" : "false",
        tabindex: 0, role: "button", "aria-label": `${node.kind} ${node.label}, community ${node.community}, degree ${node.degree}${node.key_player ? ", key player" : ""}`,
        transform: `translate(${node.x.toFixed(1)},${node.y.toFixed(1)})`,
      });
      if (node.key_player) group.append(el("circle", { r: r + 4, fill: "none", stroke: "#111", "stroke-width": 2 }));
      const shape = node.kind === "handset"
        ? el("rect", { x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 2 })
        : el("circle", { r });
      shape.setAttribute("fill", colour(node.community));
      shape.setAttribute("stroke", expanded.has(node.id) ? "#111" : "#fff");
      shape.setAttribute("stroke-width", expanded.has(node.id) ? 3 : 1.5);
      group.append(shape, el("title", {}, `${node.label} (${node.kind}; community ${node.community}; degree ${node.degree}${node.key_player ? `; key player, best rank ${node.key_rank}` : ""})`));
      if (node.key_player || expanded.size) {
        group.append(el("text", { x: r + 5, y: 4, "font-size": 12, fill: "#111", "font-weight": node.key_player ? 700 : 400 }, node.label));
      }
      group.addEventListener("click", () => openNode(node));
      group.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openNode(node); } });
      nodeLayer.append(group);
    }
    svg.append(linkLayer, nodeLayer);
    const shown = nodes.filter((node) => visible.has(node.id)).length;
    status.textContent = `${shown} of ${chart.total_nodes} node(s) and ${linkLayer.childElementCount} of ${chart.total_links} link(s) shown` +
      (chart.truncated ? ` (the ${nodes.length} busiest nodes are drawn; narrow the dates to see the rest)` : "") +
      (expanded.size ? "; showing the selected nodes and their neighbours" : "") + ".";
  }

  function visibleNodes() {
    if (!expanded.size) return new Set(chart.nodes.map((node) => node.id));
    const shown = new Set(expanded);
    for (const link of chart.links) {
      if (expanded.has(link.source)) shown.add(link.target);
      if (expanded.has(link.target)) shown.add(link.source);
    }
    return shown;
  }

  function drawLegend() {
    legend.replaceChildren();
    for (const [community, count] of Object.entries(chart.communities)) {
      const item = document.createElement("span");
      item.className = "tag";
      const swatch = el("svg", { width: 12, height: 12, "aria-hidden": "true" });
      swatch.append(el("circle", { cx: 6, cy: 6, r: 6, fill: colour(Number(community)) }));
      item.append(swatch, document.createTextNode(` community ${community}: ${count}`));
      legend.append(item);
    }
  }

  // --- the panel ---------------------------------------------------------------------------

  function heading(text) {
    const h = document.createElement("h2");
    h.textContent = text;
    return h;
  }

  function openNode(node) {
    if (expanded.has(node.id) && expanded.size === 1) expanded = new Set();
    else expanded.add(node.id);
    draw();
    const facts = document.createElement("dl");
    facts.className = "facts";
    const add = (term, value) => {
      const dt = document.createElement("dt"); dt.textContent = term;
      const dd = document.createElement("dd"); dd.textContent = value;
      facts.append(dt, dd);
    };
    add("Kind", node.kind === "handset" ? "Handset (IMEI)" : "Telephone number");
    add("Community", String(node.community));
    add("Degree", `${node.degree} (${node.weighted_degree} contact events and handset records)`);
    add("Ranks", Object.entries(node.ranks).map(([m, r]) => `${m.replace("_", " ")} ${r}`).join(", "));
    add("Key player", node.key_player ? `yes (best rank ${node.key_rank})` : "no");
    add("Connected part", `${node.component_size} node(s)`);
    const profile = document.createElement("a");
    profile.href = `/cases/${caseId}/entities/${node.id}`;
    profile.textContent = "Open the entity profile";
    profile.id = "network-profile";
    const links = document.createElement("ul");
    for (const link of chart.links) {
      if (link.source !== node.id && link.target !== node.id) continue;
      const other = chart.byId.get(link.source === node.id ? link.target : link.source);
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = `${other.label}: ${link.weight} (${link.kind})`;
      button.addEventListener("click", () => openLink(link));
      li.append(button);
      links.append(li);
    }
    const title = heading(node.label);
    detail.replaceChildren(title, facts, profile, heading("Links"), links);
  }

  async function openLink(link) {
    const a = chart.byId.get(link.source);
    const b = chart.byId.get(link.target);
    detail.replaceChildren(heading(`${a.label} – ${b.label}`), paragraph("Loading the rows…"));
    let data;
    try {
      data = await getJson(`/api/cases/${caseId}/network/edges/${link.source}/${link.target}?${query}`);
    } catch (error) {
      detail.replaceChildren(heading(`${a.label} – ${b.label}`), paragraph(error.message, "error"));
      return;
    }
    const parts = [heading(`${a.label} – ${b.label}`)];
    for (const entry of data.links) {
      const l = entry.link;
      parts.push(paragraph(
        `Evidenced ${l.kind} link: ${l.weight} ${l.kind === "handset" ? "record(s)" : "contact event(s)"} ` +
        `(${l.forward} from ${entry.source_label}, ${l.backward} from ${entry.target_label}), ` +
        `resting on ${l.rows} row(s) in ${l.exhibits.join(", ")}; ${entry.shown} listed.`));
      const table = document.createElement("table");
      table.className = "grid network-rows";
      const head = table.createTHead().insertRow();
      for (const name of ["When (UTC)", "Table", "Type", "From / subscriber", "To", "Exhibit", "Where"]) {
        const th = document.createElement("th"); th.scope = "col"; th.textContent = name; head.append(th);
      }
      const body = table.createTBody();
      for (const row of entry.rows) {
        const tr = body.insertRow();
        const when = row.exact ? row.earliest_utc : `between ${row.earliest_utc} and ${row.latest_utc}`;
        for (const value of [when || "no time", row.table.replace("_", " "), row.event || "", row.a_party || "", row.b_party || row.imei_key || "", row.exhibit]) {
          tr.insertCell().textContent = value;
        }
        const open = document.createElement("a");
        open.href = `/cases/${caseId}/records/${row.row_id}`;
        open.textContent = row.locator;
        open.dataset.rowId = row.row_id;
        tr.insertCell().append(open);
      }
      parts.push(table);
    }
    detail.replaceChildren(...parts);
    detail.scrollIntoView({ block: "nearest" });
  }

  function paragraph(text, className) {
    const p = document.createElement("p");
    p.textContent = text;
    if (className) p.className = className;
    return p;
  }

  // --- loading -----------------------------------------------------------------------------

  async function load() {
    query = filters();
    status.textContent = "Loading the network…";
    let data;
    try {
      data = await getJson(`/api/cases/${caseId}/network?${query}`);
    } catch (error) {
      status.textContent = `The network could not be drawn: ${error.message}`;
      return;
    }
    data.byId = new Map(data.nodes.map((node) => [node.id, node]));
    initialPositions(data.nodes);
    simulate(data.nodes, data.links);
    fit(data.nodes);
    chart = data;
    expanded = new Set();
    caveat.textContent = data.caveat;
    method.textContent = data.method + (data.estimated.length ? ` Estimated: ${data.estimated.join(", ")}.` : "");
    drawLegend();
    draw();
    detail.replaceChildren(heading("Selection"), paragraph("Click a node or a line.", "hint"));
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  document.getElementById("network-all").addEventListener("click", () => {
    if (!chart) return;
    expanded = new Set();
    draw();
  });
  load();
})();

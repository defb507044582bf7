// The case map (docs/map.md): draws the page's map data (a JSON data block, not a script) as
// SVG over the basemap outlines from /api/basemap. Web Mercator around the case's markers; wheel,
// buttons and keyboard zoom, dragging pans, a marker's click lists its rows. Markers are mast and
// camera positions, never positions of a phone or person, and no coverage area is drawn
// (requirement 25). No third-party code and no inline script (the Content Security Policy).
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const root = document.getElementById("case-map");
  // the map's data rides on the element (JSON in a single-quoted attribute, which the
  // template's tojson escapes for it): the policy admits no inline script, not even data
  if (!root || !root.dataset.map) return;
  const data = JSON.parse(root.dataset.map);
  const caseId = root.dataset.case;
  const svg = document.getElementById("map-svg");
  const selection = document.getElementById("map-selection");
  const attribution = document.getElementById("map-attribution");
  const ASPECT = 560 / 1000;

  // Web Mercator in degree-like units: x is the longitude, y grows southwards.
  function project(lon, lat) {
    const clamped = Math.max(-85, Math.min(85, lat));
    const rad = (clamped * Math.PI) / 180;
    return [lon, (-Math.log(Math.tan(Math.PI / 4 + rad / 2)) * 180) / Math.PI];
  }

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(name, text, parent) {
    const node = document.createElement(name);
    if (text !== undefined && text !== null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  const base = el("g", { id: "map-base" }, svg);
  const layer = el("g", { id: "map-markers" }, svg);

  // --- the view -------------------------------------------------------------------------------
  const points = [];
  for (const s of data.sites) points.push(project(s.longitude, s.latitude));
  for (const c of data.cameras) points.push(project(c.longitude, c.latitude));
  let home = null;

  function fit(pts) {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [x, y] of pts) {
      minX = Math.min(minX, x); maxX = Math.max(maxX, x);
      minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
    let w = Math.max(maxX - minX, 0.02) * 1.15;
    let h = Math.max(maxY - minY, 0.02) * 1.15;
    if (h / w > ASPECT) w = h / ASPECT; else h = w * ASPECT;
    return { x: (minX + maxX) / 2 - w / 2, y: (minY + maxY) / 2 - h / 2, w, h };
  }

  let view = points.length ? fit(points) : fit([project(-8.6, 49.9), project(1.8, 60.8)]);
  home = Object.assign({}, view);

  function pixel() {
    const width = svg.getBoundingClientRect().width || 1000;
    return view.w / width;
  }

  function apply() {
    svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    const unit = pixel();
    for (const node of layer.querySelectorAll("[data-size]")) {
      const size = Number(node.dataset.size) * unit;
      if (node.tagName === "circle") node.setAttribute("r", size);
      else {
        const [x, y] = [Number(node.dataset.x), Number(node.dataset.y)];
        node.setAttribute("x", x - size); node.setAttribute("y", y - size);
        node.setAttribute("width", 2 * size); node.setAttribute("height", 2 * size);
      }
    }
  }

  function zoom(factor, cx, cy) {
    const x = cx === undefined ? view.x + view.w / 2 : cx;
    const y = cy === undefined ? view.y + view.h / 2 : cy;
    view = { x: x - (x - view.x) * factor, y: y - (y - view.y) * factor, w: view.w * factor, h: view.h * factor };
    apply();
  }

  function toWorld(event) {
    const box = svg.getBoundingClientRect();
    return [view.x + ((event.clientX - box.left) / box.width) * view.w,
      view.y + ((event.clientY - box.top) / box.height) * view.h];
  }

  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [x, y] = toWorld(event);
    zoom(event.deltaY < 0 ? 0.8 : 1.25, x, y);
  }, { passive: false });

  let drag = null;
  svg.addEventListener("pointerdown", (event) => {
    if (event.target.closest && event.target.closest("[data-marker]")) return;
    drag = { x: event.clientX, y: event.clientY, view: Object.assign({}, view) };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const box = svg.getBoundingClientRect();
    view = Object.assign({}, drag.view, {
      x: drag.view.x - ((event.clientX - drag.x) / box.width) * drag.view.w,
      y: drag.view.y - ((event.clientY - drag.y) / box.height) * drag.view.h,
    });
    apply();
  });
  svg.addEventListener("pointerup", () => { drag = null; });
  for (const button of root.querySelectorAll("[data-zoom]")) {
    button.addEventListener("click", () => {
      if (button.dataset.zoom === "in") zoom(0.67);
      else if (button.dataset.zoom === "out") zoom(1.5);
      else { view = Object.assign({}, home); apply(); }
    });
  }

  // --- markers --------------------------------------------------------------------------------
  function size(count) { return 4 + Math.min(16, 2.5 * Math.sqrt(count)); }

  function siteTitle(s) {
    const where = [s.site_name, s.address].filter(Boolean).join(", ") || s.site_key;
    const basis = s.approximate
      ? "crowd-sourced cell position, approximate (not the operator's mast position)"
      : "operator mast position";
    return `${where}: ${basis}; ${s.records} record(s) of the chosen numbers name its cells`;
  }

  function cameraTitle(c) {
    const where = [c.camera_id, c.site_name, c.road].filter(Boolean).join(", ");
    return `ANPR camera ${where}: camera position (${c.position_source}); ${c.reads} read(s) of the chosen VRMs`;
  }

  function activate(node, show) {
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "button");
    node.addEventListener("click", show);
    node.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); show(); }
    });
  }

  // the busiest last, so they are drawn on top
  const sites = data.sites.slice().sort((a, b) => a.records - b.records);
  for (const s of sites) {
    const [x, y] = project(s.longitude, s.latitude);
    const node = el("circle", {
      cx: x, cy: y, "data-marker": "site", "data-size": size(s.records),
      fill: s.approximate ? "none" : (s.records ? "#0b4f8a" : "#8fa9c4"),
      stroke: "#0b4f8a", "stroke-width": s.approximate ? 2 : 1, "vector-effect": "non-scaling-stroke",
      "stroke-dasharray": s.approximate ? "3 2" : "none",
    }, layer);
    el("title", {}, node).textContent = siteTitle(s);
    activate(node, () => showSite(s));
  }
  const cameras = data.cameras.slice().sort((a, b) => a.reads - b.reads);
  for (const c of cameras) {
    const [x, y] = project(c.longitude, c.latitude);
    const node = el("rect", {
      "data-x": x, "data-y": y, "data-marker": "camera", "data-size": size(c.reads) * 0.85,
      fill: c.reads ? "#a40e26" : "#d99aa5", stroke: "#6b0918", "stroke-width": 1,
      "vector-effect": "non-scaling-stroke",
    }, layer);
    el("title", {}, node).textContent = cameraTitle(c);
    activate(node, () => showCamera(c));
  }

  // --- the selection --------------------------------------------------------------------------
  function when(row) {
    if (row.at_utc) return row.at_utc.replace("T", " ").replace("+00:00", " UTC");
    if (row.earliest_utc && row.latest_utc) {
      return `between ${row.earliest_utc.replace("T", " ").replace("+00:00", "")} and ${row.latest_utc.replace("T", " ").replace("+00:00", "")} UTC (not known exactly)`;
    }
    return "time not recorded";
  }

  function listRows(rows, total) {
    if (!rows.length) { html("p", "None of the chosen rows fall here.", selection); return; }
    const list = html("ol", null, selection);
    for (const row of rows) {
      const item = html("li", null, list);
      const link = html("a", `${row.kind} ${row.subject}`, item);
      link.href = `/cases/${caseId}/records/${encodeURIComponent(row.row_id)}`;
      let words = ` — ${when(row)}`;
      if (row.cell) {
        words += row.at_or_before
          ? ` (the device used cell ${row.cell} at or before this time)`
          : ` (cell ${row.cell}, ${row.phases.join(" and ")})`;
      }
      item.appendChild(document.createTextNode(`${words}; exhibit ${row.exhibit}`));
    }
    if (total > rows.length) html("p", `The first ${rows.length} of ${total} rows are listed.`, selection);
  }

  function counts(bySubject) {
    const parts = Object.entries(bySubject).map(([k, n]) => `${k}: ${n}`);
    return parts.length ? parts.join("; ") : "none";
  }

  function showSite(s) {
    selection.replaceChildren();
    html("h2", s.site_name || s.site_key, selection);
    if (s.address) html("p", s.address, selection);
    html("p", s.approximate
      ? "Crowd-sourced cell position: approximate, the centre of volunteers' measurements, not a mast position and not fit for court."
      : "Operator mast position (as the operator's cell list gives it). The marker is where the mast stands, not a position of any phone.", selection);
    html("p", `Cells: ${s.cells.map((c) => `${c.cell} (${c.records})`).join(", ")}. Records per number: ${counts(s.by_subject)}.`, selection);
    listRows(s.rows, s.records);
  }

  function showCamera(c) {
    selection.replaceChildren();
    html("h2", `ANPR camera ${c.camera_id}`, selection);
    html("p", [c.site_name, c.road, c.direction].filter(Boolean).join(", ") || "No description in the camera list.", selection);
    html("p", `${data.camera_statement} Reads per VRM: ${counts(c.by_subject)}.`, selection);
    listRows(c.rows, c.reads);
  }

  // --- the basemap ----------------------------------------------------------------------------
  function drawBasemap(map) {
    for (const outline of map.outlines) {
      let d = "";
      for (const ring of outline.rings) {
        ring.forEach(([lon, lat], i) => {
          const [x, y] = project(lon, lat);
          d += `${i ? "L" : "M"}${x.toFixed(4)} ${y.toFixed(4)}`;
        });
        d += "Z";
      }
      const path = el("path", {
        d, fill: "#f2f2f2", stroke: "#b5b5b5", "stroke-width": 0.8, "vector-effect": "non-scaling-stroke",
      }, base);
      if (outline.name) el("title", {}, path).textContent = outline.name;
    }
    attribution.textContent = `Basemap (for orientation only): ${map.attribution}`;
  }

  apply();
  window.addEventListener("resize", apply);
  fetch("/api/basemap", { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
    .then((map) => {
      if (map.available) drawBasemap(map);
      else attribution.textContent = "No basemap is configured (THREADLINE_BASEMAP); markers are drawn without outlines.";
    })
    .catch(() => { attribution.textContent = "The basemap could not be loaded; markers are drawn without outlines."; });
}());

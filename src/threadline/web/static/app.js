// Threadline's only script: streams exhibit uploads, follows ingest progress, and reveals a phone
// download's media files one at a time. Pages work without it except for these islands. No
// third-party code, no inline script (the Content Security Policy forbids both).
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error((data.error && data.error.message) || `request failed (${response.status})`);
  }
  return data;
}

// The file goes as the raw request body, so the server streams it to disk as it arrives.
function uploadFile(caseId, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/cases/${caseId}/uploads`);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (event) => { if (event.lengthComputable) onProgress(event.loaded, event.total); };
    xhr.onload = () => {
      let data = {};
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new Error((data.error && data.error.message) || xhr.responseText || `upload failed (${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error("the upload was interrupted"));
    xhr.send(file);
  });
}

function setupExhibitForm(form) {
  const status = document.getElementById("upload-status");
  const bar = document.getElementById("upload-progress");
  const caseId = form.dataset.case;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = (name) => { const el = form.elements.namedItem(name); return el ? el.value.trim() : ""; };
    const file = form.elements.namedItem("file").files[0];
    const serverPath = field("server_path");
    if (!file && !serverPath) { status.textContent = "Choose a file to upload."; return; }
    if (!field("reference") || !field("producer") || !field("description")) {
      status.textContent = "An exhibit needs a reference, a producer and a description."; return;
    }
    form.querySelector("button[type=submit]").disabled = true;
    try {
      const body = {
        reference: field("reference"), producer: field("producer"), description: field("description"),
        provider: field("provider") || null, target_number: field("target_number") || null,
        authorisation: field("authorisation") || null, authoriser: field("authoriser") || null,
        authorised_from: field("authorised_from") || null, authorised_to: field("authorised_to") || null,
        data_type: field("data_type") || null,
      };
      if (file) {
        bar.hidden = false;
        status.textContent = `Uploading ${file.name}…`;
        const staged = await uploadFile(caseId, file, (done, total) => { bar.max = total; bar.value = done; });
        body.upload_id = staged.upload_id;
        status.textContent = `Uploaded ${staged.name} (SHA-256 ${staged.sha256}). Registering…`;
      } else {
        body.server_path = serverPath;
      }
      const exhibit = await api("POST", `/api/cases/${caseId}/exhibits`, body);
      if (form.elements.namedItem("ingest_now").checked) {
        await api("POST", `/api/cases/${caseId}/exhibits/${exhibit.id}/ingest`);
      }
      window.location.assign(`/cases/${caseId}/exhibits/${exhibit.id}`);
    } catch (error) {
      status.textContent = error.message;
      form.querySelector("button[type=submit]").disabled = false;
    }
  });
}

function formatNumber(value) { return Math.round(value).toLocaleString("en-GB"); }

function formatSeconds(seconds) {
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
  if (h) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${s} s`;
}

function renderProgress(cell, p) {
  const parts = [];
  const state = document.createElement("span");
  state.className = "progress-state";
  state.dataset.status = p.status;
  const label = document.createElement("span");
  label.className = "status";
  label.textContent = p.status;
  parts.push(label);
  if (p.status === "running" || p.status === "starting") {
    const bar = document.createElement("progress");
    bar.max = p.rows_expected || 1;
    if (p.rows_expected) bar.value = Math.min(p.rows_done, p.rows_expected);
    bar.setAttribute("aria-label", `Ingest progress of ${p.exhibit}`);
    parts.push(bar);
  }
  const rows = document.createElement("span");
  rows.className = "rows";
  const busy = p.status === "running" || p.status === "starting";
  rows.textContent = `${formatNumber(p.rows_done)} rows` + (busy && p.rows_expected ? ` of about ${formatNumber(p.rows_expected)}` : "");
  parts.push(rows);
  if (p.rows_per_second) {
    const rate = document.createElement("span");
    rate.className = "rate";
    rate.textContent = `${formatNumber(p.rows_per_second)} rows/s`;
    parts.push(rate);
  }
  if (p.status === "running" && p.seconds_left !== null) {
    const eta = document.createElement("span");
    eta.className = "eta";
    eta.textContent = `about ${formatSeconds(p.seconds_left)} left`;
    parts.push(eta);
  }
  if (p.error) {
    const error = document.createElement("span");
    error.className = "error";
    error.textContent = p.error;
    parts.push(error);
  }
  state.replaceChildren(...parts);
  cell.replaceChildren(state);
}

// Polls while any exhibit is starting or running; the state comes from the case store, so it
// is the same after a reload or in another browser.
function followProgress(container) {
  const url = container.dataset.progressUrl;
  let wasBusy = false;
  async function poll() {
    let busy = false;
    try {
      const data = await api("GET", url);
      for (const p of data.exhibits) {
        const cell = container.querySelector(`[data-exhibit-progress="${p.exhibit_id}"]`);
        if (cell) renderProgress(cell, p);
        if (p.status === "running" || p.status === "starting") busy = true;
      }
    } catch (error) {
      busy = wasBusy;
    }
    if (wasBusy && !busy) { window.location.reload(); return; }  // show the finished run's issues
    wasBusy = busy;
    if (busy) window.setTimeout(poll, 1000);
  }
  const initiallyBusy = container.querySelector('[data-status="running"], [data-status="starting"]');
  if (initiallyBusy) { wasBusy = true; window.setTimeout(poll, 500); }
}

// Examiner welfare: a media file is fetched only when its Reveal button is pressed (the server
// logs each fetch), shown blurred and in greyscale first, and clearly only on a second press.
const REVEAL_LABELS = { hidden: "Reveal", blurred: "Show clearly", clear: "Blur again" };

function revealElement(kind, url) {
  if (kind === "image") {
    const img = document.createElement("img");
    img.alt = "revealed media file";
    img.src = url;
    return img;
  }
  if (kind === "video" || kind === "audio") {
    const media = document.createElement(kind);
    media.controls = true;
    media.preload = "metadata";
    media.src = url;
    return media;
  }
  const link = document.createElement("a");
  link.href = url;
  link.textContent = "Download the file (logged)";
  link.setAttribute("download", "");
  return link;
}

const REVEAL_NAMES = {
  hidden: (name) => `Reveal ${name} (blurred first; logged)`,
  blurred: (name) => `Show ${name} clearly`,
  clear: (name) => `Blur ${name} again`,
};

function setRevealState(button, state) {
  button.dataset.state = state;
  button.textContent = REVEAL_LABELS[state];
  button.setAttribute("aria-label", REVEAL_NAMES[state](button.dataset.name || "the file"));
  const frame = button.closest("[data-media-item]").querySelector("[data-media-frame]");
  frame.classList.toggle("veiled", state === "blurred");
  frame.dataset.state = state;
}

function reveal(button) {
  const item = button.closest("[data-media-item]");
  const frame = item.querySelector("[data-media-frame]");
  const state = button.dataset.state || "hidden";
  if (state === "hidden") {
    const shown = revealElement(button.dataset.kind, button.dataset.reveal);
    shown.classList.add("revealed");
    shown.addEventListener("error", () => {
      const note = document.createElement("span");
      note.className = "error";
      note.textContent = "This file cannot be shown: it is missing from the exhibit, or its bytes do not match the hash its record holds.";
      frame.replaceChildren(note);
      button.disabled = true;
    });
    setRevealState(button, "blurred");  // veiled before the picture is in the page
    frame.replaceChildren(shown);
  } else if (state === "blurred") {
    setRevealState(button, "clear");
  } else {
    setRevealState(button, "blurred");
  }
}

function setupReveals() {
  document.querySelectorAll("[data-reveal]").forEach((button) => {
    button.addEventListener("click", () => reveal(button));
  });
  const all = document.getElementById("reveal-page");
  if (all) {
    all.addEventListener("click", () => {
      const waiting = document.querySelectorAll('[data-reveal][data-state="hidden"]');
      if (!waiting.length) return;
      const sure = window.confirm(
        `Reveal all ${waiting.length} files on this page? They are shown blurred and in greyscale; each reveal is logged.`
      );
      if (sure) waiting.forEach((button) => reveal(button));
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("exhibit-form");
  if (form) setupExhibitForm(form);
  document.querySelectorAll("[data-progress-url]").forEach(followProgress);
  setupReveals();
});

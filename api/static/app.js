// svgai web page: plain JavaScript on the public HTTP API (no framework, no build step, no CDN).
"use strict";

const $ = (id) => document.getElementById(id);
const FINAL = new Set(["succeeded", "failed", "cancelled"]);
const POLL_MS = 400;
const RETRIES = 5; // polls that meet 429/503/no connection wait and try again this many times
const KEY = "svgai-key";
const state = { files: [], originals: new Map(), urls: [], batchId: null, svgText: "" };

class ApiError extends Error {
  constructor(message, status, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function authHeaders() {
  const key = sessionStorage.getItem(KEY);
  return key ? { Authorization: `Bearer ${key}` } : {};
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

// The API's `detail` (a string, or FastAPI's list of field errors) in plain words.
function plainWords(status, detail, retryAfter) {
  switch (status) {
    case 401: return `An API key is needed: enter it below and convert again (${detail}).`;
    case 404: return `Not found: ${detail}.`;
    case 409: return `Not ready: ${detail}.`;
    case 413: return `Too large: ${detail}.`;
    case 415: return `Not an image svgai accepts: ${detail}.`;
    case 422: return `svgai cannot use this: ${detail}.`;
    case 429: return `Rate limited: too many requests with this key; try again in ${retryAfter || "a few"} s.`;
    case 503: return `The service is unavailable right now: ${detail}. Try again shortly.`;
    default: return `The service answered ${status}: ${detail}.`;
  }
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  } catch (_) {
    throw new ApiError("The svgai service cannot be reached; check that it is running, then try again.", 0);
  }
  if (response.ok) return response;
  let detail = response.statusText || "no details";
  try {
    const body = await response.json();
    if (typeof body.detail === "string") detail = body.detail;
    else if (Array.isArray(body.detail)) {
      detail = body.detail.map((d) => `${(d.loc || []).slice(-1)[0]}: ${d.msg}`).join("; ");
    }
  } catch (_) { /* not JSON: keep the status text */ }
  const retryAfter = response.headers.get("Retry-After");
  if (response.status === 401) {
    $("key-box").hidden = false;
    $("api-key").focus();
  }
  throw new ApiError(plainWords(response.status, detail, retryAfter), response.status, retryAfter);
}

// GET that rides out short outages while polling: rate limits, a busy or restarting service.
async function poll(path) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await api(path)).json();
    } catch (error) {
      if (![0, 429, 503].includes(error.status) || attempt > RETRIES) throw error;
      await sleep(1000 * (Number(error.retryAfter) || attempt));
    }
  }
}

function chooseFiles(files) {
  state.files = Array.from(files);
  $("chosen").textContent = state.files.length
    ? `${state.files.length === 1 ? "Chosen" : `${state.files.length} files, a batch`}: `
      + state.files.map((f) => f.name).join(", ")
    : "No file chosen.";
}

function formData(multi) {
  const form = new FormData();
  for (const file of state.files) form.append(multi ? "files" : "file", file, file.name);
  form.append("tier", $("tier").value);
  if ($("target").value) form.append("target_ssim", $("target").value);
  const overrides = $("overrides").value.trim();
  if (overrides) form.append("overrides", overrides);
  if ($("budget").value) form.append("budget_s", $("budget").value);
  return form;
}

function checkOverrides() {
  const text = $("overrides").value.trim();
  if (!text) return "";
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return "Parameter overrides must be a JSON object, like {\"mode\": \"spline\"}.";
    }
  } catch (error) {
    return `Parameter overrides are not valid JSON: ${error.message}.`;
  }
  return "";
}

function jobItem(job, index) {
  const li = document.createElement("li");
  li.dataset.jobId = job.id;
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = job.filename || `image ${index + 1}`;
  const status = document.createElement("span");
  status.className = "status";
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", `progress of ${name.textContent}`);
  const view = document.createElement("button");
  view.type = "button";
  view.textContent = "Show result";
  view.setAttribute("aria-label", `Show the result of ${name.textContent}`);
  view.hidden = true;
  view.addEventListener("click", () => showResult(li.dataset.jobId).catch((e) => showError(e.message)));
  li.append(name, status, bar, view);
  return li;
}

function updateItem(li, job) {
  const tier = job.tier ? ` (Tier ${job.tier})` : "";
  let text = `${job.status}${tier}`;
  if (job.status === "running") text = `running ${Math.round((job.progress || 0) * 100)} %${tier}`;
  if (job.status === "failed") text = `failed: ${job.error || "no reason given"}`;
  li.querySelector(".status").textContent = text;
  li.querySelector("progress").value = job.status === "succeeded" ? 1 : job.progress || 0;
  li.querySelector("button").hidden = job.status !== "succeeded";
  if (FINAL.has(job.status) && li.dataset.status !== job.status) {  // screen readers hear each file finish
    $("announce").textContent = `${li.querySelector(".name").textContent}: ${text}`;
  }
  li.dataset.status = job.status;
}

async function pollJob(li, job) {
  while (!FINAL.has(job.status)) {
    await sleep(POLL_MS);
    job = await poll(`/v1/jobs/${job.id}`);
    updateItem(li, job);
  }
  return job;
}

async function pollBatch(items, batch) {
  while (batch.status !== "finished") {
    await sleep(POLL_MS);
    batch = await poll(`/v1/batches/${batch.id}`);
    batch.jobs.forEach((job, i) => updateItem(items[i], job));
  }
  return batch;
}

function objectUrl(blob) {
  const url = URL.createObjectURL(blob);
  state.urls.push(url);
  return url;
}

function figureRow(label, text, raw, field) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = label;
  const td = document.createElement("td");
  td.dataset.field = field;
  td.dataset.value = JSON.stringify(raw);
  if (field === "params") {
    const code = document.createElement("code");
    code.textContent = text;
    td.append(code);
  } else td.textContent = text;
  tr.append(th, td);
  return tr;
}

const kb = (n) => (n >= 1024 ? ` (${(n / 1024).toFixed(1)} KiB)` : "");

function showFigures(job) {
  const r = job.result;
  const params = Object.entries(r.params || {}).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n");
  const rows = [
    ["SSIM", r.ssim.toFixed(4), r.ssim, "ssim"],
    ["PSNR", `${r.psnr.toFixed(1)} dB`, r.psnr, "psnr"],
    ["Bytes", `${r.bytes.toLocaleString("en")}${kb(r.bytes)}`, r.bytes, "bytes"],
    ["Bytes, gzip", `${r.gzip_bytes.toLocaleString("en")}${kb(r.gzip_bytes)}`, r.gzip_bytes, "gzip_bytes"],
    ["Paths", String(r.paths), r.paths, "paths"],
    ["Tier", String(job.tier), job.tier, "tier"],
    ["Why this tier", job.reason || "—", job.reason, "reason"],
    ["Logo type", r.logo_type || "—", r.logo_type, "logo_type"],
    ["Seconds", r.seconds.toFixed(2), r.seconds, "seconds"],
    ["Configuration", params, r.params, "params"],
  ];
  $("figures").tBodies[0].replaceChildren(...rows.map((row) => figureRow(...row)));
}

async function showDiff(jobId) {
  const img = $("diff");
  const note = $("diff-note");
  note.hidden = true;
  img.hidden = false;
  img.removeAttribute("src");
  try {
    img.src = objectUrl(await (await api(`/v1/jobs/${jobId}/diff.png`)).blob());
  } catch (error) {
    img.hidden = true;
    note.textContent = `No heat map: ${error.message}`;
    note.hidden = false;
  }
}

async function showResult(jobId) {
  const job = await poll(`/v1/jobs/${jobId}`);
  state.svgText = await (await api(`/v1/jobs/${job.id}/svg`)).text();
  const svgUrl = objectUrl(new Blob([state.svgText], { type: "image/svg+xml" }));
  const original = state.originals.get(job.id) || "";
  for (const id of ["original", "overlay-original"]) $(id).src = original;
  for (const id of ["svg-view", "overlay-svg"]) $(id).src = svgUrl;
  const download = $("download");
  download.href = svgUrl;
  download.download = `${(job.filename || job.id).replace(/\.[^.]+$/, "")}.svg`;
  $("result-name").textContent = job.filename || job.id;
  $("copied").textContent = "";
  $("result").dataset.jobId = job.id;
  $("result").hidden = false;
  showFigures(job);
  await showDiff(job.id);
  $("result").scrollIntoView({ block: "start" });
}

function resetObjectUrls() {
  for (const url of state.urls) URL.revokeObjectURL(url);
  state.urls = [];
  state.originals.clear();
}

async function convert(event) {
  event.preventDefault();
  showError("");
  if (!state.files.length) { showError("Choose at least one image first."); return; }
  const invalid = checkOverrides();
  if (invalid) { showError(invalid); $("advanced").open = true; $("overrides").focus(); return; }
  const key = $("api-key").value.trim();
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
  $("convert").disabled = true;
  try {
    resetObjectUrls();
    const list = $("jobs");
    list.replaceChildren();
    $("download-all").hidden = true;
    $("result").hidden = true;
    const files = state.files;
    if (files.length === 1) {
      const job = await (await api("/v1/jobs", { method: "POST", body: formData(false) })).json();
      state.originals.set(job.id, objectUrl(files[0]));
      const li = jobItem(job, 0);
      list.append(li);
      $("jobs-section").hidden = false;
      updateItem(li, job);
      const done = await pollJob(li, job);
      if (done.status === "succeeded") await showResult(done.id);
    } else {
      const batch = await (await api("/v1/batches", { method: "POST", body: formData(true) })).json();
      state.batchId = batch.id;
      batch.jobs.forEach((job, i) => state.originals.set(job.id, objectUrl(files[i])));
      const items = batch.jobs.map(jobItem);
      list.append(...items);
      $("jobs-section").hidden = false;
      batch.jobs.forEach((job, i) => updateItem(items[i], job));
      const done = await pollBatch(items, batch);
      $("download-all").hidden = !done.counts.succeeded;
      const first = done.jobs.find((j) => j.status === "succeeded");
      if (first) await showResult(first.id);
    }
  } catch (error) {
    showError(error.message);
  } finally {
    $("convert").disabled = false;
  }
}

async function downloadAll() {
  try {
    const blob = await (await api(`/v1/batches/${state.batchId}/svgs.zip`)).blob();
    const a = document.createElement("a");
    a.href = objectUrl(blob);
    a.download = `svgai-${state.batchId.slice(0, 8)}.zip`;
    document.body.append(a);
    a.click();
    a.remove();
  } catch (error) { showError(error.message); }
}

async function copySvg() {
  try {
    await navigator.clipboard.writeText(state.svgText);
    $("copied").textContent = "Copied.";
  } catch (_) {
    $("copied").textContent = "This browser does not allow copying here; use Download SVG.";
  }
}

function setOverlay() {
  const value = $("overlay-slider").value;
  $("overlay-svg").style.clipPath = `inset(0 0 0 ${value}%)`;
  document.querySelector(".overlay .split").style.left = `${value}%`;
  $("overlay-slider").setAttribute("aria-valuetext", `${value} % original`);
}

// Both panes show their image at the same zoom: the original's pixel size times the factor.
function applyZoom() {
  const zoom = $("zoom").value;
  const width = $("original").naturalWidth;
  for (const pane of document.querySelectorAll(".pane")) pane.classList.toggle("zoomed", zoom !== "fit");
  for (const id of ["original", "svg-view"]) {
    $(id).style.width = zoom === "fit" || !width ? "" : `${width * Number(zoom)}px`;
  }
}

function syncScroll(panes) {
  for (const pane of panes) {
    pane.addEventListener("scroll", () => {
      for (const other of panes) {
        if (other === pane) continue;
        if (other.scrollLeft !== pane.scrollLeft) other.scrollLeft = pane.scrollLeft;
        if (other.scrollTop !== pane.scrollTop) other.scrollTop = pane.scrollTop;
      }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const drop = $("drop");
  $("files").addEventListener("change", (e) => chooseFiles(e.target.files));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    chooseFiles(e.dataTransfer.files);
  });
  $("upload").addEventListener("submit", convert);
  $("download-all").addEventListener("click", downloadAll);
  $("copy").addEventListener("click", copySvg);
  $("overlay-slider").addEventListener("input", setOverlay);
  $("zoom").addEventListener("change", applyZoom);
  $("original").addEventListener("load", applyZoom);
  syncScroll(Array.from(document.querySelectorAll(".pane")));
  const key = sessionStorage.getItem(KEY);
  if (key) { $("api-key").value = key; $("key-box").hidden = false; }
  setOverlay();
});

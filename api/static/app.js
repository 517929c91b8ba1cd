// svgai web page: plain JavaScript on the public HTTP API (no framework, no build step, no CDN).
"use strict";

const $ = (id) => document.getElementById(id);
const FINAL = new Set(["succeeded", "failed", "cancelled"]);
const POLL_MS = 500;
const state = { files: [], originals: new Map(), batchId: null, current: null, svgText: "" };

function authHeaders() {
  const key = sessionStorage.getItem("svgai-key");
  return key ? { Authorization: `Bearer ${key}` } : {};
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  if (response.ok) return response;
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body.detail) detail = typeof body.detail === "string" ? body.detail
      : body.detail.map((d) => `${(d.loc || []).slice(-1)[0]}: ${d.msg}`).join("; ");
  } catch (_) { /* not JSON: keep the status line */ }
  if (response.status === 401) {
    $("key-box").hidden = false;
    $("api-key").focus();
    detail = `An API key is needed: ${detail}`;
  } else if (response.status === 413) detail = `Too large: ${detail}`;
  else if (response.status === 415) detail = `Not an image svgai accepts: ${detail}`;
  else if (response.status === 429) detail = `Rate limited, try again in ${response.headers.get("Retry-After") || "a few"} s: ${detail}`;
  else if (response.status === 503) detail = `The service is unavailable right now (${detail}); try again shortly.`;
  throw new Error(detail);
}

function chooseFiles(files) {
  state.files = Array.from(files);
  $("chosen").textContent = state.files.length
    ? state.files.map((f) => f.name).join(", ") : "No file chosen.";
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
  bar.setAttribute("aria-label", `progress of ${name.textContent}`);
  const view = document.createElement("button");
  view.type = "button";
  view.textContent = "Show result";
  view.hidden = true;
  view.addEventListener("click", () => showResult(li.dataset.jobId));
  li.append(name, status, bar, view);
  return li;
}

function updateItem(li, job) {
  li.querySelector(".status").textContent = job.status === "failed"
    ? `failed: ${job.error}` : `${job.status}${job.tier ? ` (Tier ${job.tier})` : ""}`;
  li.querySelector("progress").value = job.status === "succeeded" ? 1 : job.progress || 0;
  li.querySelector("button").hidden = job.status !== "succeeded";
  li.dataset.status = job.status;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function pollJob(li, job) {
  while (!FINAL.has(job.status)) {
    await sleep(POLL_MS);
    job = await (await api(`/v1/jobs/${job.id}`)).json();
    updateItem(li, job);
  }
  return job;
}

async function pollBatch(items, batch) {
  while (batch.status !== "finished") {
    await sleep(POLL_MS);
    batch = await (await api(`/v1/batches/${batch.id}`)).json();
    batch.jobs.forEach((job, i) => updateItem(items[i], job));
  }
  return batch;
}

async function blobUrl(path) {
  return URL.createObjectURL(await (await api(path)).blob());
}

function figureRow(label, value, raw, field) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = label;
  const td = document.createElement("td");
  td.dataset.field = field;
  td.dataset.value = JSON.stringify(raw);
  if (field === "params") {
    const code = document.createElement("code");
    code.textContent = value;
    td.append(code);
  } else td.textContent = value;
  tr.append(th, td);
  return tr;
}

async function showResult(jobId) {
  const job = await (await api(`/v1/jobs/${jobId}`)).json();
  const r = job.result;
  state.current = job;
  $("result").hidden = false;
  $("result").dataset.jobId = job.id;
  const original = state.originals.get(job.filename) || "";
  $("original").src = original;
  $("overlay-original").src = original;
  state.svgText = await (await api(`/v1/jobs/${job.id}/svg`)).text();
  const svgUrl = URL.createObjectURL(new Blob([state.svgText], { type: "image/svg+xml" }));
  $("svg-view").src = svgUrl;
  $("overlay-svg").src = svgUrl;
  $("diff").src = await blobUrl(`/v1/jobs/${job.id}/diff.png`);
  const download = $("download");
  download.href = svgUrl;
  download.download = `${(job.filename || job.id).replace(/\.[^.]+$/, "")}.svg`;
  const rows = [
    ["SSIM", r.ssim.toFixed(4), r.ssim, "ssim"],
    ["PSNR", `${r.psnr.toFixed(1)} dB`, r.psnr, "psnr"],
    ["Bytes", r.bytes.toLocaleString("en"), r.bytes, "bytes"],
    ["Bytes (gzip)", r.gzip_bytes.toLocaleString("en"), r.gzip_bytes, "gzip_bytes"],
    ["Paths", String(r.paths), r.paths, "paths"],
    ["Tier", String(job.tier), job.tier, "tier"],
    ["Why this tier", job.reason, job.reason, "reason"],
    ["Logo type", r.logo_type, r.logo_type, "logo_type"],
    ["Seconds", r.seconds.toFixed(2), r.seconds, "seconds"],
    ["Configuration", JSON.stringify(r.params), r.params, "params"],
  ];
  $("figures").tBodies[0].replaceChildren(...rows.map((row) => figureRow(...row)));
  $("copied").textContent = "";
  $("result").scrollIntoView({ behavior: "smooth", block: "start" });
}

async function convert(event) {
  event.preventDefault();
  showError("");
  if (!state.files.length) { showError("Choose at least one image first."); return; }
  const key = $("api-key").value.trim();
  if (key) sessionStorage.setItem("svgai-key", key);
  $("convert").disabled = true;
  try {
    state.originals = new Map(state.files.map((f) => [f.name, URL.createObjectURL(f)]));
    const list = $("jobs");
    list.replaceChildren();
    $("jobs-section").hidden = false;
    $("download-all").hidden = true;
    if (state.files.length === 1) {
      const job = await (await api("/v1/jobs", { method: "POST", body: formData(false) })).json();
      const li = jobItem(job, 0);
      list.append(li);
      updateItem(li, job);
      const done = await pollJob(li, job);
      if (done.status === "succeeded") await showResult(done.id);
    } else {
      const batch = await (await api("/v1/batches", { method: "POST", body: formData(true) })).json();
      state.batchId = batch.id;
      const items = batch.jobs.map(jobItem);
      list.append(...items);
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
    const url = await blobUrl(`/v1/batches/${state.batchId}/svgs.zip`);
    const a = document.createElement("a");
    a.href = url;
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
    $("copied").textContent = "Copying is not allowed here; use Download SVG.";
  }
}

function setOverlay() {
  $("overlay-svg").style.clipPath = `inset(0 0 0 ${$("overlay-slider").value}%)`;
}

document.addEventListener("DOMContentLoaded", () => {
  const drop = $("drop");
  $("files").addEventListener("change", (e) => chooseFiles(e.target.files));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); chooseFiles(e.dataTransfer.files); });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("files").click(); } });
  $("upload").addEventListener("submit", convert);
  $("download-all").addEventListener("click", downloadAll);
  $("copy").addEventListener("click", copySvg);
  $("overlay-slider").addEventListener("input", setOverlay);
  $("api-key").value = sessionStorage.getItem("svgai-key") || "";
  setOverlay();
});

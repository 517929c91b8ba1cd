// svgai web page: plain JavaScript modules on the public HTTP API (no framework, no build step, no CDN).
// This file: choosing files, submitting, the list of conversions (polled, cancellable, kept over a reload)
// and the link to a job (#job=ID). selection.js: the chosen files; groups.js: the list; result.js: one result.
import { api, apiKey, hooks, poll, setApiKey, sleep } from "./api.js";
import { actions, isLive, jobs, originals, renderGroups, updateCard, updateGroupHead } from "./groups.js";
import { objectUrl, setupResult, showResult } from "./result.js";
import { chooseFiles, markBad, selection, setupSelection, validEntries } from "./selection.js";
import { forgetOriginals, keepOriginal, loadHistory, original, saveHistory } from "./store.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 400;
const state = { groups: [], polling: new Set(), busy: false };

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

const announce = (text) => { $("announce").textContent = text; };
const findGroup = (jobId) => state.groups.find((g) => g.jobs.some((j) => j.id === jobId));

function addGroup(group) {
  state.groups = saveHistory([group, ...state.groups.filter((g) => g.id !== group.id)]);
  renderGroups(state.groups);
}

async function pollGroup(group, onFinished) {
  if (state.polling.has(group.id)) return;
  state.polling.add(group.id);
  try {
    for (;;) {
      if (group.batchId) {
        const batch = await poll(`/v1/batches/${group.batchId}`);
        const seen = new Set((batch.jobs || []).map((j) => j.id));
        for (const job of batch.jobs || []) updateCard(job);
        for (const entry of group.jobs) if (!seen.has(entry.id)) updateCard({ id: entry.id, status: "expired" });
      } else {
        for (const entry of group.jobs.filter((j) => isLive(j.id))) updateCard(await poll(`/v1/jobs/${entry.id}`));
      }
      updateGroupHead(group);
      if (!group.jobs.some((j) => isLive(j.id))) break;
      await sleep(POLL_MS);
    }
    if (onFinished) await onFinished();
  } catch (error) {
    if (error.status === 404) {
      for (const entry of group.jobs) if (isLive(entry.id)) updateCard({ id: entry.id, status: "expired" });
      updateGroupHead(group);
    } else showError(error.message);
  } finally {
    state.polling.delete(group.id);
  }
}

async function cancelJobs(ids) {
  await Promise.all(ids.map(async (id) => {
    try {
      updateCard(await (await api(`/v1/jobs/${id}`, { method: "DELETE" })).json());
    } catch (error) { showError(error.message); }
  }));
  for (const group of state.groups) if (group.jobs.some((j) => ids.includes(j.id))) updateGroupHead(group);
}

async function downloadZip(batchId) {
  try {
    const blob = await (await api(`/v1/batches/${batchId}/svgs.zip`)).blob();
    const a = document.createElement("a");
    a.href = objectUrl(blob);
    a.download = `svgai-${batchId.slice(0, 8)}.zip`;
    document.body.append(a);
    a.click();
    a.remove();
  } catch (error) { showError(error.message); }
}

async function openResult(jobId, focus) {
  try {
    const job = await poll(`/v1/jobs/${jobId}`);
    if (job.status !== "succeeded") {
      showError(`This conversion has not succeeded (it is ${job.status}); there is no SVG to show.`);
      return;
    }
    const group = findGroup(jobId);
    const entry = group && group.jobs.find((j) => j.id === jobId);
    const blob = originals.get(jobId) || await original(jobId);
    const article = group && document.querySelector(`.group[data-group-id="${group.id}"]`);
    if (article) article.after($("result")); else $("history").after($("result"));
    await showResult(job, blob, entry && entry.bytes);
    history.replaceState(null, "", `#job=${jobId}`);
    if (focus) $("result-title").focus();
  } catch (error) { showError(error.message); }
}

// A missed target, converted again with the longest search.
async function retryBest() {
  const job = jobs.get($("result").dataset.jobId);
  const blob = job && (originals.get(job.id) || await original(job.id));
  if (!blob) return;
  $("tier").value = "3";
  await chooseFiles([new File([blob], job.filename || "image", { type: blob.type })]);
}

function closeResult() {
  const jobId = $("result").dataset.jobId;
  $("result").hidden = true;
  history.replaceState(null, "", location.pathname + location.search);
  const opener = document.querySelector(`.job[data-job-id="${jobId}"] .open`);
  if (opener && !opener.hidden) opener.focus();
}

function settings() {
  const target = Number($("target").value);
  if (!$("target").value || !(target >= 50 && target <= 100)) {
    return { error: "The quality target is a percentage from 50 to 100 (98 is a good default).", field: "target" };
  }
  const overrides = $("overrides").value.trim();
  if (overrides) {
    let value;
    try { value = JSON.parse(overrides); } catch (error) {
      return { error: `Tracing parameters are not valid JSON: ${error.message}.`, field: "overrides" };
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { error: "Tracing parameters must be a JSON object, like {\"mode\": \"spline\"}.", field: "overrides" };
    }
  }
  return { tier: $("tier").value, target: Number((target / 100).toFixed(5)), overrides, budget: $("budget").value };
}

function formData(entries, chosen) {
  const form = new FormData();
  for (const entry of entries) form.append(entries.length > 1 || chosen.batch ? "files" : "file", entry.file, entry.name);
  form.append("tier", chosen.tier);
  form.append("target_ssim", String(chosen.target));
  if (chosen.overrides) form.append("overrides", chosen.overrides);
  if (chosen.budget) form.append("budget_s", chosen.budget);
  return form;
}

// A batch the service refuses because of one file (it names it): that file is marked and skipped, and
// the rest are submitted again.
async function submitBatch(entries, chosen) {
  let rest = entries;
  for (;;) {
    try {
      return { rest, batch: await (await api("/v1/batches", { method: "POST", body: formData(rest, chosen) })).json() };
    } catch (error) {
      const named = [400, 413, 415, 422].includes(error.status) && rest
        .filter((e) => String(error.detail || "").includes(e.name)).sort((a, b) => b.name.length - a.name.length)[0];
      if (!named) throw error;
      markBad(named, String(error.detail).replace(`${named.name}: `, "") || error.message);
      rest = rest.filter((e) => e !== named);
      if (!rest.length) return { rest, batch: null };
    }
  }
}

async function convert(event) {
  if (event) event.preventDefault();
  if (state.busy) return;
  showError("");
  const entries = validEntries();
  if (!entries.length) { showError("Choose at least one image first."); return; }
  const chosen = settings();
  if (chosen.error) {
    showError(chosen.error);
    if (chosen.field === "overrides") $("advanced").open = true;
    $(chosen.field).focus();
    return;
  }
  setApiKey($("api-key").value.trim());
  state.busy = true; // while submitting; the conversions are then polled in the background
  announce(`Converting ${entries.length === 1 ? entries[0].name : `${entries.length} images`}…`);
  try {
    const base = { created: Date.now(), tier: chosen.tier, target: chosen.target };
    if (entries.length === 1) {
      const job = await (await api("/v1/jobs", { method: "POST", body: formData(entries, chosen) })).json();
      jobs.set(job.id, job);
      remember(job.id, entries[0]);
      const group = { ...base, id: job.id, batchId: null, jobs: [{ id: job.id, filename: entries[0].name,
        bytes: entries[0].file.size }] };
      addGroup(group);
      pollGroup(group, async () => {
        if (jobs.get(job.id).status === "succeeded") await openResult(job.id, true);
      });
    } else {
      const { rest, batch } = await submitBatch(entries, { ...chosen, batch: true });
      const skipped = selection.filter((e) => e.bad).map((e) => ({ filename: e.name, skipped: e.bad }));
      if (!batch) { showError("None of the chosen files can be converted; see the marks beside them."); return; }
      batch.jobs.forEach((job, i) => { jobs.set(job.id, job); remember(job.id, rest[i]); });
      const group = { ...base, id: batch.id, batchId: batch.id, skipped,
        jobs: batch.jobs.map((job, i) => ({ id: job.id, filename: rest[i].name, bytes: rest[i].file.size })) };
      addGroup(group);
      pollGroup(group, async () => {
        const counts = batch.jobs.map((j) => jobs.get(j.id).status);
        announce(`Batch finished: ${counts.filter((s) => s === "succeeded").length} of ${counts.length} converted.`);
      });
    }
  } catch (error) {
    showError(error.message);
  } finally {
    state.busy = false;
  }
}

function remember(jobId, entry) {
  originals.set(jobId, entry.file);
  keepOriginal(jobId, entry.file);
}

function forgetAll() {
  forgetOriginals(state.groups.flatMap((g) => g.jobs.map((j) => j.id)));
  state.groups = saveHistory([]);
  $("result").hidden = true;
  history.replaceState(null, "", location.pathname + location.search);
  renderGroups(state.groups);
  $("files").focus();
}

// #job=ID opens that job's result (a link to it, or after a reload).
async function followLink() {
  const jobId = (location.hash.match(/^#job=([\w-]+)$/) || [])[1];
  if (!jobId) return;
  if (!findGroup(jobId)) {
    try {
      const job = await poll(`/v1/jobs/${jobId}`);
      jobs.set(job.id, job);
      addGroup({ id: job.id, batchId: null, created: Date.now(), tier: job.requested_tier ?? "auto",
        target: job.target_ssim, jobs: [{ id: job.id, filename: job.filename }] });
    } catch (error) { showError(error.message); return; }
  }
  const group = findGroup(jobId);
  await pollGroup(group);
  if (jobs.get(jobId)?.status === "succeeded") await openResult(jobId, true);
}

document.addEventListener("DOMContentLoaded", () => {
  Object.assign(actions, { open: openResult, cancel: cancelJobs, zip: downloadZip, announce });
  hooks.unauthorised = () => { $("key-box").hidden = false; $("api-key").focus(); };
  setupResult();
  setupSelection({ onReady: (valid, total) => {  // one readable image converts straight away
    if (total === 1 && valid === 1) convert();
    else if (total === 1) showError(`${selection[0].name}: ${selection[0].bad}. Choose another file.`);
  } });
  $("upload").addEventListener("submit", convert);
  $("result-close").addEventListener("click", closeResult);
  $("retry-best").addEventListener("click", retryBest);
  $("forget").addEventListener("click", forgetAll);
  if (apiKey()) { $("api-key").value = apiKey(); $("key-box").hidden = false; }
  state.groups = loadHistory();
  renderGroups(state.groups);
  const linked = (location.hash.match(/^#job=([\w-]+)$/) || [])[1];
  for (const group of state.groups) if (!group.jobs.some((j) => j.id === linked)) pollGroup(group);
  followLink();
  window.addEventListener("hashchange", followLink);
});

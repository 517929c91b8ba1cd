// The list of conversions: one card per submission (a single image or a batch), a grid of jobs in each
// with thumbnail, similarity, size, status, Cancel and Open; a batch sorts by similarity, weakest first.
import { SPEED, api, failureText, percent, targetText } from "./api.js";
import { bytesText, objectUrl, reachedTarget } from "./result.js";
import { original } from "./store.js";

const $ = (id) => document.getElementById(id);
export const FINAL = new Set(["succeeded", "failed", "cancelled", "expired"]);
export const jobs = new Map(); // the latest record of each job, by id
export const originals = new Map(); // the uploaded files of this visit, by job id
/** What the cards' buttons do (set by app.js). */
export const actions = { open: () => {}, cancel: () => {}, zip: () => {}, announce: () => {} };
const SLOW_S = 20; // seconds running after which a card suggests what to try instead
export const isLive = (jobId) => !FINAL.has((jobs.get(jobId) || {}).status);

function statusText(job) {
  switch (job.status) {
    case "queued": return "Waiting for a worker…";
    case "running": {
      const text = `Converting… ${Math.round((job.progress || 0) * 100)} %`;
      const seconds = job.started ? Date.now() / 1000 - job.started : 0; // the service's clock: local use
      if (!(seconds >= 0 && seconds < 86400)) return text;
      const slow = seconds > SLOW_S ? ". Taking long? Cancel, then try Speed: fast or a smaller image" : "";
      return `${text} · ${Math.round(seconds)} s${slow}`;
    }
    case "succeeded": {
      const r = job.result || {};
      return `${percent(r.ssim ?? 0)} similar · ${bytesText(r.bytes)}`;
    }
    case "failed": return failureText(job);
    case "cancelled": return "Cancelled.";
    case "expired": return "No longer on the service (results are kept for a limited time).";
    default: return job.status || "unknown";
  }
}

/** A new `tag` element with the given class names. */
function element(tag, className) {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

function button(text, className, label) {
  const b = element("button", `button ${className}`);
  b.type = "button";
  b.textContent = text;
  if (label) b.setAttribute("aria-label", label);
  return b;
}

function jobCard(entry) {
  const li = element("li", "job");
  li.dataset.jobId = entry.id;
  const thumb = element("div", "thumb checker");
  const img = document.createElement("img");
  img.alt = "";
  thumb.append(img);
  const body = element("div", "job-body");
  const name = element("p", "job-name");
  name.textContent = entry.filename || `Job ${entry.id.slice(0, 8)}`;
  name.title = name.textContent;
  const status = element("p", "job-status");
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", `progress of ${name.textContent}`);
  const badge = element("p", "badge miss small");
  badge.textContent = "⚠ Target missed";
  badge.hidden = true;
  const tools = element("div", "job-actions");
  const open = button("Open result", "secondary open", `Open the result of ${name.textContent}`);
  open.hidden = true;
  open.addEventListener("click", () => actions.open(entry.id, true));
  const cancel = button("Cancel", "quiet cancel", `Cancel ${name.textContent}`);
  cancel.hidden = true;
  cancel.addEventListener("click", () => actions.cancel([entry.id]));
  tools.append(open, cancel);
  body.append(name, status, bar, badge, tools);
  li.append(thumb, body);
  if (entry.skipped) {
    li.dataset.status = "skipped";
    status.textContent = `Skipped: ${entry.skipped}`;
    bar.hidden = true;
  }
  return li;
}

async function setThumb(li, jobId, svg) {
  const img = li.querySelector(".thumb img");
  if (img.dataset.kind === "svg") return;
  try {
    if (svg) {
      img.dataset.kind = "svg";
      img.src = objectUrl(await (await api(`/v1/jobs/${jobId}/svg`)).blob());
    } else if (!img.src) {
      const blob = originals.get(jobId) || await original(jobId);
      if (blob && img.dataset.kind !== "svg") img.src = objectUrl(blob);
    }
  } catch (_) { /* a thumbnail is a nicety: the status line says what matters */ }
}

export function updateCard(job) {
  const li = document.querySelector(`.job[data-job-id="${job.id}"]`);
  const before = jobs.get(job.id);
  jobs.set(job.id, job);
  if (!li) return;
  li.querySelector(".job-status").textContent = statusText(job);
  li.querySelector("progress").value = job.status === "succeeded" ? 1 : job.progress || 0;
  li.querySelector("progress").hidden = FINAL.has(job.status);
  li.querySelector(".badge").hidden = !(job.status === "succeeded" && !reachedTarget(job));
  li.querySelector(".open").hidden = job.status !== "succeeded";
  li.querySelector(".cancel").hidden = FINAL.has(job.status);
  li.dataset.ssim = job.status === "succeeded" && job.result ? String(job.result.ssim) : "";
  setThumb(li, job.id, job.status === "succeeded");
  if (FINAL.has(job.status) && (!before || before.status !== job.status)) {
    actions.announce(`${li.querySelector(".job-name").textContent}: ${statusText(job)}`);
  }
  li.dataset.status = job.status;
}

// Failed and skipped files first, then the lowest similarity, then those still converting.
function rank(li) {
  if (["failed", "skipped", "cancelled", "expired"].includes(li.dataset.status)) return -1;
  return li.dataset.ssim ? Number(li.dataset.ssim) : 2;
}

function sortGroup(article) {
  const grid = article.querySelector(".grid");
  const items = Array.from(grid.children);
  if (article.querySelector(".order")?.value === "similarity") items.sort((a, b) => rank(a) - rank(b));
  else items.sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index));
  grid.append(...items);
}

export function updateGroupHead(group) {
  const article = document.querySelector(`.group[data-group-id="${group.id}"]`);
  if (!article) return;
  const records = group.jobs.map((j) => jobs.get(j.id) || {});
  const done = records.filter((j) => FINAL.has(j.status)).length;
  const succeeded = records.filter((j) => j.status === "succeeded").length;
  const speed = group.tier === "auto" ? "auto" : SPEED[group.tier] || group.tier;
  const parts = [`Speed: ${speed}`, `target ${targetText(group.target ?? 0.98)}`];
  if (group.batchId) parts.push(`${done} of ${group.jobs.length} finished`);
  if (group.skipped?.length) parts.push(`${group.skipped.length} skipped`);
  article.querySelector(".group-meta").textContent = parts.join(" · ");
  const cancelAll = article.querySelector(".cancel-all");
  if (cancelAll) cancelAll.hidden = done === group.jobs.length;
  const zip = article.querySelector(".zip");
  if (zip) zip.hidden = !succeeded;
  sortGroup(article);
}

function groupArticle(group) {
  const article = element("article", "group card");
  article.dataset.groupId = group.id;
  const head = element("div", "group-head");
  const title = document.createElement("h3");
  title.textContent = group.batchId ? `Batch of ${group.jobs.length + (group.skipped?.length || 0)} images`
    : group.jobs[0].filename || "Image";
  title.title = title.textContent;
  const meta = element("p", "group-meta");
  const tools = element("div", "group-actions");
  if (group.batchId) {
    const label = document.createElement("label");
    label.textContent = "Order ";
    const order = element("select", "order");
    order.add(new Option("as added", "added"));
    order.add(new Option("lowest similarity first", "similarity"));
    order.addEventListener("change", () => sortGroup(article));
    label.append(order);
    const cancelAll = button("Cancel all", "quiet cancel-all");
    cancelAll.addEventListener("click", () => actions.cancel(group.jobs.map((j) => j.id).filter(isLive)));
    const zip = button("Download all (zip)", "secondary zip");
    zip.hidden = true;
    zip.addEventListener("click", () => actions.zip(group.batchId));
    tools.append(label, cancelAll, zip);
  }
  const titles = element("div", "group-title");
  titles.append(title, meta);
  head.append(titles, tools);
  const grid = element("ul", "grid");
  const entries = [...group.jobs, ...(group.skipped || []).map((s, i) => ({ ...s, id: `skipped-${i}` }))];
  entries.forEach((entry, index) => {
    const li = jobCard(entry);
    li.dataset.index = String(index);
    grid.append(li);
  });
  article.append(head, grid);
  return article;
}

export function renderGroups(groups) {
  const result = $("result"); // it may sit under a group (app.js openResult): keep it out of the rebuild
  if ($("groups").contains(result)) $("history").after(result);
  $("history").hidden = !groups.length;
  $("groups").replaceChildren(...groups.map(groupArticle));
  for (const group of groups) {
    for (const entry of group.jobs) if (jobs.has(entry.id)) updateCard(jobs.get(entry.id));
    for (const entry of group.jobs) setThumb(document.querySelector(`.job[data-job-id="${entry.id}"]`), entry.id);
    updateGroupHead(group);
  }
}


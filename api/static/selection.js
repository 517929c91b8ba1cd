// The chosen files: each is checked in the browser (can it be decoded?), shown with a thumbnail, and can
// be removed before converting. A file that cannot be read is marked and skipped, never sent.
import { bytesText } from "./result.js";

const $ = (id) => document.getElementById(id);
export const selection = []; // {file, name, bad: reason or null, thumb: object URL, width, height}
const hooks = { ready: () => {} };

export const validEntries = () => selection.filter((e) => !e.bad);

export function markBad(entry, reason) {
  entry.bad = reason;
  render();
}

async function dimensions(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return size;
  } catch (_) {
    return null;
  }
}

function render() {
  const list = $("selection");
  list.replaceChildren(...selection.map((entry) => {
    const li = document.createElement("li");
    li.className = "chosen";
    if (entry.bad) li.dataset.bad = "true";
    const thumb = document.createElement("div");
    thumb.className = "chosen-thumb checker";
    if (!entry.bad && entry.width) {
      const img = document.createElement("img");
      img.alt = "";
      img.src = entry.thumb;
      thumb.append(img);
    }
    const text = document.createElement("div");
    text.className = "chosen-text";
    const name = document.createElement("p");
    name.className = "chosen-name";
    name.textContent = entry.name;
    name.title = entry.name;
    const meta = document.createElement("p");
    meta.className = "chosen-meta";
    meta.textContent = entry.bad ? `Will be skipped: ${entry.bad}`
      : entry.width ? `${entry.width} × ${entry.height} px · ${bytesText(entry.file.size)}` : "Checking…";
    text.append(name, meta);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button quiet remove";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${entry.name}`);
    remove.addEventListener("click", () => removeEntry(entry));
    li.append(thumb, text, remove);
    return li;
  }));
  const valid = validEntries().length;
  $("selection-box").hidden = !selection.length;
  $("submit-row").hidden = !valid;
  $("convert").textContent = valid > 1 ? `Convert ${valid} images` : "Convert";
  const choose = $("choose");
  choose.classList.toggle("primary", !valid);
  choose.classList.toggle("secondary", Boolean(valid));
  choose.textContent = selection.length ? "Choose other images" : "Choose images";
}

function removeEntry(entry) {
  const index = selection.indexOf(entry);
  URL.revokeObjectURL(entry.thumb);
  selection.splice(index, 1);
  render();
  const buttons = document.querySelectorAll("#selection .remove");
  (buttons[Math.min(index, buttons.length - 1)] || $("files")).focus();
}

export async function chooseFiles(files) {
  for (const entry of selection) URL.revokeObjectURL(entry.thumb);
  selection.length = 0;
  for (const file of files) {
    selection.push({ file, name: file.name || "image", bad: null, thumb: URL.createObjectURL(file) });
  }
  render();
  await Promise.all(selection.map(async (entry) => {
    const size = await dimensions(entry.file);
    if (size) Object.assign(entry, size);
    else entry.bad = "not readable as an image (PNG, JPEG, WebP, AVIF, GIF or ICO)";
  }));
  render();
  hooks.ready(validEntries().length, selection.length);
}

async function chooseSample(name) {
  const blob = await (await fetch(`/static/${name}`)).blob();
  await chooseFiles([new File([blob], name, { type: blob.type || "image/png" })]);
}

export function setupSelection({ onReady }) {
  hooks.ready = onReady;
  const drop = $("drop");
  $("files").addEventListener("change", (e) => {
    const files = Array.from(e.target.files);
    e.target.value = ""; // choosing the same file again converts again
    if (files.length) chooseFiles(files);
  });
  // A drop anywhere on the page chooses the files (the browser would otherwise open the image).
  document.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  document.addEventListener("dragleave", (e) => { if (!e.relatedTarget) drop.classList.remove("over"); });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) chooseFiles(e.dataTransfer.files);
  });
  for (const sample of document.querySelectorAll("[data-sample]")) {
    sample.addEventListener("click", () => chooseSample(sample.dataset.sample));
  }
  render();
}

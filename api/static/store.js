// What survives a reload: the list of conversions (job ids, names, sizes) in localStorage, and the
// uploaded originals (for the compare view) in IndexedDB, both in this browser only.
const HISTORY = "svgai-history";
const MAX_GROUPS = 20; // conversions remembered; older ones (and their originals) are forgotten

/** Groups, newest first: {id, batchId, created, jobs: [{id, filename, bytes}], skipped: [...]} */
export function loadHistory() {
  try {
    const groups = JSON.parse(localStorage.getItem(HISTORY) || "[]");
    return Array.isArray(groups) ? groups.filter((g) => g && Array.isArray(g.jobs)) : [];
  } catch (_) {
    return [];
  }
}

export function saveHistory(groups) {
  const kept = groups.slice(0, MAX_GROUPS);
  const dropped = groups.slice(MAX_GROUPS).flatMap((g) => g.jobs.map((j) => j.id));
  try {
    localStorage.setItem(HISTORY, JSON.stringify(kept));
  } catch (_) { /* storage full or disabled: the list lives until the tab closes */ }
  if (dropped.length) forgetOriginals(dropped);
  return kept;
}

let database = null;

function openDatabase() {
  if (!database) {
    database = new Promise((resolve, reject) => {
      const request = indexedDB.open("svgai", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("originals");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return database;
}

async function transact(mode, work) {
  const db = await openDatabase();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("originals", mode);
    const request = work(tx.objectStore("originals"));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
  });
}

export async function keepOriginal(jobId, blob) {
  try {
    await transact("readwrite", (store) => store.put(blob, jobId));
  } catch (_) { /* private mode or quota: the original stays in memory for this visit only */ }
}

export async function original(jobId) {
  try {
    return (await transact("readonly", (store) => store.get(jobId))) || null;
  } catch (_) {
    return null;
  }
}

export async function forgetOriginals(jobIds) {
  try {
    await transact("readwrite", (store) => { for (const id of jobIds) store.delete(id); });
  } catch (_) { /* nothing stored */ }
}

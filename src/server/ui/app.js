// fluxgen's browser UI: the settings form, generation with progress and live preview, results and
// gallery, img2img / inpaint input, PNG Info. Everything goes through the server's public API.
import { ApiError, getJson, postJson } from "/ui/api.js";
import { parseInfotext, pngParameters } from "/ui/infotext.js";
import { MaskPainter } from "/ui/mask.js";

const $ = (id) => document.getElementById(id);

// Forge's "Diffusion in Low Bits" dropdown, in Forge's order.
const STORAGE_LABELS = [
  "Automatic", "Automatic (fp16 LoRA)",
  "bnb-nf4", "bnb-nf4 (fp16 LoRA)",
  "float8-e4m3fn", "float8-e4m3fn (fp16 LoRA)",
  "bnb-fp4", "bnb-fp4 (fp16 LoRA)",
  "float8-e5m2", "float8-e5m2 (fp16 LoRA)",
];
const ASPECTS = [["1:1", 1024, 1024], ["3:4", 896, 1152], ["2:3", 832, 1216], ["9:16", 768, 1344], ["16:9", 1344, 768]];
const POLL_MS = 300;

const state = {
  mode: "txt2img",
  lastSeed: null,
  current: null,     // the result shown: {src, infotext, seed}
  initImage: null,   // data URL of the img2img / inpaint input
  jobs: [],          // this page's requests not yet answered
  nextJobId: 1,
  polling: false,
  pngInfoText: null,
};
const mask = new MaskPainter($("mask-canvas"));

// ---------------------------------------------------------------- messages and field errors

function banner(text, kind = "error") {
  const b = $("banner");
  b.textContent = text;
  b.className = `banner ${kind}`;
  b.hidden = false;
}
function hideBanner() { $("banner").hidden = true; }

function clearErrors() {
  for (const e of document.querySelectorAll(".field-error")) e.textContent = "";
  for (const e of document.querySelectorAll(".invalid")) e.classList.remove("invalid");
  hideBanner();
}

// The element that shows the error of a request field, trying "a.b.c", then "a.b", then "a".
function errorElementFor(field) {
  const aliases = {
    sampler_index: "sampler_name", model: "override_settings.sd_model_checkpoint",
    fluxgen_storage: "override_settings.forge_unet_storage_dtype", vae: "override_settings.forge_additional_modules",
    "override_settings.sd_vae": "override_settings.forge_additional_modules", clip: "override_settings.forge_additional_modules",
    t5: "override_settings.forge_additional_modules", hr_steps: "hr_second_pass_steps",
  };
  let f = aliases[field] ?? field;
  // txt2img's denoising_strength is HiRes.fix's; img2img's is the input image's.
  if (f === "denoising_strength" && state.mode === "txt2img") f = "hr_denoising_strength";
  const parts = f.split(".");
  while (parts.length) {
    const el = document.getElementById(`error-${parts.join(".")}`);
    if (el) return el;
    parts.pop();
  }
  return null;
}

function showError(err) {
  if (!(err instanceof ApiError) || !err.field) {
    banner(err.message);
    return;
  }
  const el = errorElementFor(err.field);
  banner(`${err.field}: ${err.message}`);
  if (!el) return;
  el.textContent = err.message;
  const box = el.closest(".field, .row, .panel");
  box?.querySelector("input, select, textarea")?.classList.add("invalid");
  const panel = el.closest("details");
  if (panel) panel.open = true;
  el.scrollIntoView({ block: "center", behavior: "instant" });
}

// ---------------------------------------------------------------- form helpers

function fillSelect(select, items, selected) {
  select.replaceChildren();
  for (const item of items) {
    const [value, label] = Array.isArray(item) ? item : [item, item];
    select.add(new Option(label, value));
  }
  if (selected !== undefined) setSelect(select, selected);
}

// Selects `value`, adding it (marked) when the list lacks it, so that what a preset or an image
// asks for stays visible and the server can say what is wrong with it.
function setSelect(select, value) {
  if (value === undefined || value === null) return;
  value = String(value);
  let option = [...select.options].find((o) => o.value === value || o.text === value);
  if (!option) {
    option = new Option(`${value} (not installed)`, value);
    select.add(option);
  }
  select.value = option.value;
}

function number(id) {
  const el = $(id);
  const v = Number(el.value);
  if (el.value.trim() === "" || !Number.isFinite(v)) throw new ApiError(0, "enter a number", el.dataset.field ?? id);
  return v;
}

function setValue(id, value) {
  if (value !== undefined && value !== null && value !== "") $(id).value = value;
}

// ---------------------------------------------------------------- loading the catalogs

async function loadCatalogs() {
  const want = {
    models: "/sdapi/v1/sd-models", modules: "/sdapi/v1/sd-modules", samplers: "/sdapi/v1/samplers",
    schedulers: "/sdapi/v1/schedulers", upscalers: "/sdapi/v1/upscalers", latent: "/sdapi/v1/latent-upscale-modes",
    loras: "/sdapi/v1/loras", presets: "/fluxgen/v1/presets", detectors: "/fluxgen/v1/detectors", options: "/sdapi/v1/options",
  };
  const got = {};
  const failures = [];
  await Promise.all(Object.entries(want).map(async ([key, path]) => {
    try { got[key] = await getJson(path); } catch (e) { failures.push(`${path}: ${e.message}`); got[key] = null; }
  }));
  if (failures.length) banner(`Could not load: ${failures.join("; ")}`);

  const options = got.options ?? {};
  fillSelect($("model"), (got.models ?? []).map((m) => [m.model_name, m.title]));
  if (options.sd_model_checkpoint) {
    const m = (got.models ?? []).find((x) => options.sd_model_checkpoint.startsWith(x.title.split(" [")[0]));
    if (m) $("model").value = m.model_name;
  }
  if (!(got.models ?? []).length) banner("No checkpoint is installed: put a FLUX model into the models folder's Stable-diffusion folder.");
  fillSelect($("storage"), STORAGE_LABELS, options.forge_unet_storage_dtype ?? "Automatic");

  const modules = $("modules");
  modules.replaceChildren();
  const active = new Set((options.forge_additional_modules ?? []).map((p) => p.split(/[\\/]/).pop()));
  for (const m of got.modules ?? []) {
    const label = document.createElement("label");
    label.className = "check";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = m.model_name;
    box.checked = active.has(m.model_name);
    label.append(box, ` ${m.model_name}`);
    modules.append(label);
  }
  if (!(got.modules ?? []).length) modules.textContent = "none installed";

  fillSelect($("sampler"), (got.samplers ?? []).map((s) => s.name), "[Forge] Flux Realistic");
  fillSelect($("scheduler"), (got.schedulers ?? []).map((s) => s.label), "Simple");
  const upscalers = [...(got.latent ?? []).map((u) => u.name), ...(got.upscalers ?? []).map((u) => u.name)];
  fillSelect($("hr_upscaler"), upscalers.filter((u) => u !== "None"));
  const esrgan = (got.upscalers ?? []).find((u) => u.model_name === "ESRGAN");
  if (esrgan) $("hr_upscaler").value = esrgan.name;

  fillSelect($("lora"), (got.loras ?? []).map((l) => [l.name, l.alias && l.alias !== l.name ? `${l.name} (${l.alias})` : l.name]));
  $("lora-insert").disabled = !(got.loras ?? []).length;
  if (!(got.loras ?? []).length) $("lora").add(new Option("no LoRA installed", ""));

  fillSelect($("ad_model"), (got.detectors ?? []).map((d) => d.name));
  if (!(got.detectors ?? []).length) $("ad_model").add(new Option("no detector installed", ""));

  if (got.presets) setupPresets(got.presets);
}

function setupPresets(data) {
  const box = $("presets");
  box.replaceChildren();
  for (const p of data.presets ?? []) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = p.name;
    b.title = p.description;
    b.dataset.preset = p.name;
    b.addEventListener("click", () => applyPreset(p));
    box.append(b);
  }
  const snippets = $("snippets");
  snippets.replaceChildren();
  for (const [name, text] of Object.entries(data.prompt_snippets ?? {})) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.textContent = `+ ${name}`;
    b.title = text;
    b.dataset.snippet = name;
    b.addEventListener("click", () => appendText(name === "negative" ? "negative_prompt" : "prompt", text));
    snippets.append(b);
  }
  if (data.lora_weights) {
    $("lora-weight").title = Object.entries(data.lora_weights).map(([k, [a, b]]) => `${k}: ${a}-${b}`).join(", ");
  }
}

// A preset fills the fields it sets; what the user changes afterwards wins, as "explicit fields
// win" in the API.
function applyPreset(p) {
  const s = p.settings ?? {};
  setSelect($("sampler"), s.sampler_name);
  setSelect($("scheduler"), s.scheduler);
  setValue("steps", s.steps);
  setValue("cfg_scale", s.cfg_scale);
  setValue("distilled_cfg_scale", s.distilled_cfg_scale);
  if ("enable_hr" in s) $("enable_hr").checked = !!s.enable_hr;
  setSelect($("hr_upscaler"), s.hr_upscaler);
  setValue("hr_scale", s.hr_scale);
  setValue("hr_second_pass_steps", s.hr_second_pass_steps);
  setValue("hr_denoise", s.denoising_strength);
  setSelect($("storage"), s.override_settings?.forge_unet_storage_dtype);
  const args = s.alwayson_scripts?.ADetailer?.args;
  if (Array.isArray(args)) {
    $("ad_enable").checked = args[0] === true;
    const unit = args.find((a) => a && typeof a === "object");
    if (unit) {
      setSelect($("ad_model"), unit.ad_model);
      setValue("ad_prompt", unit.ad_prompt);
      setValue("ad_confidence", unit.ad_confidence);
      setValue("ad_denoising_strength", unit.ad_denoising_strength);
      setValue("ad_steps", unit.ad_steps);
      setValue("ad_mask_blur", unit.ad_mask_blur);
      if ("ad_inpaint_only_masked" in unit) $("ad_inpaint_only_masked").checked = !!unit.ad_inpaint_only_masked;
    }
  }
  for (const b of document.querySelectorAll("#presets button")) b.classList.toggle("active", b.dataset.preset === p.name);
  banner(`Preset "${p.name}": ${p.description}`, "info");
}

function appendText(id, text) {
  const el = $(id);
  const cur = el.value.trimEnd();
  el.value = cur ? `${cur.replace(/,$/, "")}, ${text}` : text;
  el.focus();
}

// Inserts <lora:NAME:W> at the cursor, or changes the weight of the tag already there.
function insertLora() {
  const name = $("lora").value;
  if (!name) return;
  const weight = Number($("lora-weight").value).toString();
  const el = $("prompt");
  const tag = `<lora:${name}:${weight}>`;
  const existing = new RegExp(`<lora:${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:[^>]*>`);
  if (existing.test(el.value)) {
    el.value = el.value.replace(existing, tag);
  } else {
    const at = el.selectionStart ?? el.value.length;
    const before = el.value.slice(0, at);
    const after = el.value.slice(at);
    const pad = before && !/\s$/.test(before) ? " " : "";
    el.value = `${before}${pad}${tag}${after}`;
    el.selectionStart = el.selectionEnd = before.length + pad.length + tag.length;
  }
  el.focus();
}

// ---------------------------------------------------------------- the request

function buildRequest() {
  const inputMode = state.mode === "img2img" || state.mode === "inpaint";
  const r = {
    prompt: $("prompt").value,
    negative_prompt: $("negative_prompt").value,
    seed: Math.trunc(number("seed")),
    steps: number("steps"),
    sampler_name: $("sampler").value,
    scheduler: $("scheduler").value,
    cfg_scale: number("cfg_scale"),
    distilled_cfg_scale: number("distilled_cfg_scale"),
    width: number("width"),
    height: number("height"),
    batch_size: number("batch_size"),
    n_iter: number("n_iter"),
    override_settings: { forge_unet_storage_dtype: $("storage").value },
  };
  if ($("model").value) r.override_settings.sd_model_checkpoint = $("model").value;
  const modules = [...document.querySelectorAll("#modules input:checked")].map((b) => b.value);
  if (modules.length) r.override_settings.forge_additional_modules = modules;
  if (!inputMode && $("enable_hr").checked) {
    Object.assign(r, {
      enable_hr: true, hr_upscaler: $("hr_upscaler").value, hr_scale: number("hr_scale"),
      hr_second_pass_steps: number("hr_second_pass_steps"), denoising_strength: number("hr_denoise"),
    });
  }
  if ($("ad_enable").checked) {
    r.alwayson_scripts = { ADetailer: { args: [true, false, {
      ad_model: $("ad_model").value, ad_prompt: $("ad_prompt").value, ad_confidence: number("ad_confidence"),
      ad_denoising_strength: number("ad_denoising_strength"), ad_use_steps: true, ad_steps: number("ad_steps"),
      ad_mask_blur: number("ad_mask_blur"), ad_inpaint_only_masked: $("ad_inpaint_only_masked").checked,
    }] } };
  }
  if (inputMode) {
    if (!state.initImage) throw new ApiError(0, "drop, paste or choose an input image first", "init_images");
    r.init_images = [state.initImage];
    r.denoising_strength = number("denoising_strength");
    if (state.mode === "inpaint") {
      const m = mask.toDataUrl();
      if (!m) throw new ApiError(0, "paint the area to repaint on the image first", "mask");
      r.mask = m;
      r.mask_blur = number("mask_blur");
      r.inpaint_full_res = $("inpaint_full_res").value === "true";
    }
  }
  return r;
}

async function generate() {
  if (state.mode === "pnginfo") setMode("txt2img");
  clearErrors();
  let request;
  try {
    request = buildRequest();
  } catch (e) {
    showError(e);
    return;
  }
  const job = { id: state.nextJobId++, mode: state.mode, size: `${request.width}x${request.height}` };
  const endpoint = job.mode === "txt2img" ? "txt2img" : "img2img";
  state.jobs.push(job);
  renderJobs(null);
  pollProgress();
  try {
    const answer = await postJson(`/sdapi/v1/${endpoint}`, request);
    showAnswer(answer);
  } catch (e) {
    $("progress-text").textContent = `Failed: ${e.message}`;
    $("progress-bar").style.width = "0%";
    showError(e);
  } finally {
    state.jobs = state.jobs.filter((j) => j !== job);
    renderJobs(null);
  }
}

function showAnswer(answer) {
  let info = {};
  try { info = JSON.parse(answer.info ?? "{}"); } catch { banner("The server's info is not JSON."); }
  const images = answer.images ?? [];
  const infotexts = info.infotexts ?? [];
  state.lastSeed = info.seed ?? state.lastSeed;
  const results = images.map((b64, i) => ({
    src: `data:image/png;base64,${b64}`, infotext: infotexts[i] ?? "", seed: info.all_seeds?.[i] ?? info.seed,
  }));
  for (const r of results) addToGallery(r);
  $("notes").textContent = (info.notes ?? []).join(" ");
  if (results.length) showResult(results[0]);
  if (info.interrupted) {
    $("progress-text").textContent = results.length ? `Interrupted: ${results.length} image(s) finished` : "Interrupted before an image was finished";
  } else {
    $("progress-text").textContent = `Done: ${results.length} image(s), seed ${info.seed}`;
  }
  $("progress-bar").style.width = info.interrupted ? "0%" : "100%";
}

function showResult(r) {
  state.current = r;
  $("preview").hidden = true;
  $("viewer-empty").hidden = true;
  $("result").src = r.src;
  $("result").hidden = false;
  $("infotext").textContent = r.infotext;
  $("result-actions").hidden = false;
  $("download").href = r.src;
  $("download").download = `fluxgen-${r.seed ?? "image"}.png`;
}

function addToGallery(r) {
  const img = document.createElement("img");
  img.src = r.src;
  img.alt = `seed ${r.seed}`;
  img.title = r.infotext;
  img.addEventListener("click", () => showResult(r));
  $("gallery").prepend(img);
}

// ---------------------------------------------------------------- progress, queue, interrupt

async function pollProgress() {
  if (state.polling) return;
  state.polling = true;
  while (state.jobs.length) {
    try {
      const [p, q] = await Promise.all([getJson("/sdapi/v1/progress"), getJson("/fluxgen/v1/queue")]);
      if (!state.jobs.length) break;
      showProgress(p);
      renderJobs(q);
    } catch (e) {
      $("progress-text").textContent = `Progress unavailable: ${e.message}`;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  state.polling = false;
}

function showProgress(p) {
  const s = p.state ?? {};
  const running = s.job_count > 0 || p.progress > 0;
  $("progress-bar").style.width = `${Math.round((p.progress ?? 0) * 100)}%`;
  if (!running) {
    $("progress-text").textContent = "Waiting in the queue…";
    return;
  }
  const parts = [];
  if (s.sampling_steps) parts.push(`Step ${s.sampling_step}/${s.sampling_steps}`);
  if (s.job_count > 1) parts.push(`image ${Math.min(s.job_no + 1, s.job_count)}/${s.job_count}`);
  parts.push(`${Math.round((p.progress ?? 0) * 100)}%`);
  if (p.eta_relative > 0) parts.push(`ETA ${p.eta_relative.toFixed(1)} s`);
  if (s.interrupted) parts.push("interrupting…");
  else if (s.skipped) parts.push("skipping…");
  $("progress-text").textContent = parts.join(" · ");
  if (p.current_image) {
    $("preview").src = `data:image/png;base64,${p.current_image}`;
    $("preview").hidden = false;
    $("result").hidden = true;
    $("viewer-empty").hidden = true;
  }
}

// This page's waiting requests with their place in the server's queue (the server answers them
// first come, first served; requests of other clients that came earlier go first).
function renderJobs(queue) {
  const list = $("jobs");
  list.replaceChildren();
  if (queue) $("queue-text").textContent = `Server: ${queue.running ? "running" : "idle"}, ${queue.waiting} waiting (capacity ${queue.capacity})`;
  else if (!state.jobs.length) $("queue-text").textContent = "";
  const waitingOthers = queue ? Math.max(0, queue.waiting - Math.max(0, state.jobs.length - 1)) : 0;
  state.jobs.forEach((job, i) => {
    const li = document.createElement("li");
    li.textContent = i === 0 ? `#${job.id} ${job.mode} ${job.size}: running or next`
                             : `#${job.id} ${job.mode} ${job.size}: waiting, position ${waitingOthers + i}`;
    list.append(li);
  });
  $("interrupt").disabled = $("skip").disabled = !state.jobs.length;
}

async function control(path, text) {
  try {
    await postJson(path);
    $("progress-text").textContent = text;
  } catch (e) {
    showError(e);
  }
}

// ---------------------------------------------------------------- modes and the input image

function setMode(mode) {
  state.mode = mode;
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.mode === mode);
  const input = mode === "img2img" || mode === "inpaint";
  $("image-input").hidden = !input;
  $("mask-tools").hidden = mode !== "inpaint";
  $("mask-canvas").hidden = mode !== "inpaint" || !state.initImage;
  for (const e of document.querySelectorAll(".inpaint-only")) e.hidden = mode !== "inpaint";
  $("hires-panel").hidden = input;
  $("output").hidden = mode === "pnginfo";
  $("pnginfo").hidden = mode !== "pnginfo";
  document.body.dataset.mode = mode;
}

function setInitImage(src) {
  return new Promise((resolve, reject) => {
    const img = $("init-image");
    img.onload = () => {
      state.initImage = src;
      img.hidden = false;
      $("init-hint").hidden = true;
      mask.reset(img.naturalWidth, img.naturalHeight);
      $("mask-canvas").hidden = state.mode !== "inpaint";
      const round = (v) => Math.max(16, Math.round(v / 16) * 16);
      $("width").value = round(img.naturalWidth);
      $("height").value = round(img.naturalHeight);
      $("error-init_images").textContent = "";
      resolve();
    };
    img.onerror = () => {
      $("error-init_images").textContent = "this file is not an image the browser can read";
      reject(new Error("not an image"));
    };
    img.src = src;
  });
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

async function initImageFromFile(file) {
  if (!file.type.startsWith("image/")) {
    $("error-init_images").textContent = `${file.name} is not an image`;
    return;
  }
  await setInitImage(await readAsDataUrl(file)).catch(() => {});
}

// ---------------------------------------------------------------- PNG Info

// Sets the fields an infotext names; returns the names it set.
function applyInfotext(text) {
  const { prompt, negative_prompt, params } = parseInfotext(text);
  const set = [];
  $("prompt").value = prompt;
  $("negative_prompt").value = negative_prompt;
  const take = (key, fn) => { if (params[key] !== undefined) { fn(params[key]); set.push(key); } };
  take("Steps", (v) => { $("steps").value = v; });
  take("Sampler", (v) => setSelect($("sampler"), v));
  take("Schedule type", (v) => setSelect($("scheduler"), v));
  take("CFG scale", (v) => { $("cfg_scale").value = v; });
  take("Distilled CFG Scale", (v) => { $("distilled_cfg_scale").value = v; });
  take("Seed", (v) => { $("seed").value = v; });
  take("Size", (v) => {
    const [w, h] = v.split("x");
    $("width").value = w;
    $("height").value = h;
  });
  take("Model", (v) => setSelect($("model"), v));
  take("Diffusion in Low Bits", (v) => setSelect($("storage"), v));
  take("Denoising strength", (v) => { $(params["Hires upscale"] ? "hr_denoise" : "denoising_strength").value = v; });
  $("enable_hr").checked = params["Hires upscale"] !== undefined;
  take("Hires upscale", (v) => { $("hr_scale").value = v; });
  take("Hires steps", (v) => { $("hr_second_pass_steps").value = v; });
  take("Hires upscaler", (v) => setSelect($("hr_upscaler"), v));
  take("Mask blur", (v) => { $("mask_blur").value = v; });
  $("ad_enable").checked = params.ADetailer_model !== undefined || params["ADetailer model"] !== undefined;
  take("ADetailer model", (v) => setSelect($("ad_model"), v));
  take("ADetailer confidence", (v) => { $("ad_confidence").value = v; });
  take("ADetailer denoising strength", (v) => { $("ad_denoising_strength").value = v; });
  take("ADetailer prompt", (v) => { $("ad_prompt").value = v; });
  take("ADetailer mask blur", (v) => { $("ad_mask_blur").value = v; });
  take("ADetailer steps", (v) => { $("ad_steps").value = v; });
  return set;
}

async function pngInfoFromFile(file) {
  clearErrors();
  let text;
  try {
    text = pngParameters(await file.arrayBuffer());
  } catch (e) {
    banner(`${file.name}: ${e.message}`);
    return;
  }
  $("png-image").src = URL.createObjectURL(file);
  $("png-image").hidden = false;
  if (text === null) {
    $("png-text").textContent = "";
    $("png-load").hidden = true;
    banner(`${file.name} has no "parameters" text: it was not written by fluxgen, Forge or A1111, or its metadata was stripped.`);
    return;
  }
  state.pngInfoText = text;
  $("png-text").textContent = text;
  $("png-load").hidden = false;
  const set = applyInfotext(text);
  banner(`Loaded the settings of ${file.name} (${["prompt", ...set].join(", ")}).`, "info");
}

// ---------------------------------------------------------------- wiring

function wire() {
  for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => setMode(t.dataset.mode));
  $("generate").addEventListener("click", generate);
  $("interrupt").addEventListener("click", () => control("/sdapi/v1/interrupt", "Interrupting…"));
  $("skip").addEventListener("click", () => control("/sdapi/v1/skip", "Skipping this image…"));
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      generate();
    }
  });
  $("banner").addEventListener("click", hideBanner);

  $("lora-weight").addEventListener("input", () => { $("lora-weight-value").textContent = $("lora-weight").value; });
  $("lora-insert").addEventListener("click", insertLora);

  const aspects = $("aspects");
  for (const [name, w, h] of ASPECTS) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.textContent = name;
    b.title = `${w}x${h}`;
    b.addEventListener("click", () => { $("width").value = w; $("height").value = h; });
    aspects.append(b);
  }
  const swap = document.createElement("button");
  swap.type = "button";
  swap.className = "chip";
  swap.textContent = "⇄";
  swap.title = "swap width and height";
  swap.addEventListener("click", () => { [$("width").value, $("height").value] = [$("height").value, $("width").value]; });
  aspects.append(swap);

  $("seed-random").addEventListener("click", () => { $("seed").value = -1; });
  $("seed-reuse").addEventListener("click", () => {
    const seed = state.current?.seed ?? state.lastSeed;
    if (seed === null || seed === undefined) banner("No image yet whose seed could be reused.", "info");
    else $("seed").value = seed;
  });

  $("brush-size").addEventListener("input", () => {
    mask.brush = Number($("brush-size").value);
    $("brush-size-value").textContent = $("brush-size").value;
  });
  $("eraser").addEventListener("change", () => { mask.erasing = $("eraser").checked; });
  $("mask-clear").addEventListener("click", () => mask.clear());
  $("init-file").addEventListener("change", () => { const f = $("init-file").files[0]; if (f) initImageFromFile(f); });
  $("png-file").addEventListener("change", () => { const f = $("png-file").files[0]; if (f) pngInfoFromFile(f); });
  $("png-load").addEventListener("click", () => { if (state.pngInfoText) applyInfotext(state.pngInfoText); setMode("txt2img"); });

  const sendTo = async (mode) => {
    if (!state.current) return;
    setMode(mode);
    await setInitImage(state.current.src);
  };
  $("send-img2img").addEventListener("click", () => sendTo("img2img"));
  $("send-inpaint").addEventListener("click", () => sendTo("inpaint"));
  $("load-result").addEventListener("click", () => { if (state.current) applyInfotext(state.current.infotext); });

  // Drops: an image on the input zone becomes the img2img input; a PNG anywhere else is read for
  // its settings (PNG Info).
  let depth = 0;
  document.addEventListener("dragenter", (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes("Files")) return;
    depth++;
    $("drop-overlay").hidden = false;
  });
  document.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; $("drop-overlay").hidden = true; } });
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    $("drop-overlay").hidden = true;
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    const onInput = e.target instanceof Element && e.target.closest("#init-drop") && !$("image-input").hidden;
    if (onInput) initImageFromFile(file);
    else if (file.type === "image/png" || file.name.toLowerCase().endsWith(".png")) pngInfoFromFile(file);
    else banner(`${file.name}: PNG Info reads PNG files; drop other images on the img2img input.`);
  });
  document.addEventListener("paste", (e) => {
    if ($("image-input").hidden) return;
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.type.startsWith("image/"));
    if (!item) return;
    e.preventDefault();
    initImageFromFile(item.getAsFile());
  });
}

wire();
setMode("txt2img");
renderJobs(null);
loadCatalogs().then(() => { document.body.dataset.ready = "true"; });

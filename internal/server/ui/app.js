// llmrouter operations dashboard: one GET /v1/usage/dashboard per view,
// drawn with plain DOM and hand-made SVG (no libraries, no build step).
// Every value is written with textContent, never as HTML.
"use strict";

const COLOR = { cost: "#2f6fdb", base: "#b7791f", bad: "#c4321c", bar: "#8da9e8", ood: "#8a3ffc" };

const KEY = "llmrouter-admin-key";
const $ = (sel) => document.querySelector(sel);
const state = { from: "", to: "", key: "", model: "", g: "day" };
let choicesFilled = false;

// Formats shared with the tests: money like `llmrouter usage`.
function usd(v) {
  const a = Math.abs(v);
  const s = "$" + (a >= 100 ? a.toFixed(2) : a.toFixed(6));
  return v < 0 ? "-" + s : s;
}
// short money for budgets: cents above a dollar.
const usdShort = (v) => (Math.abs(v) >= 1 ? (v < 0 ? "-$" : "$") + Math.abs(v).toFixed(2) : usd(v));
const pct = (v) => (v * 100).toFixed(1) + "%";
const int = (n) => String(n);
const ms = (v) => (v == null ? "–" : v.toFixed(1) + " ms");

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}
const SVG = "http://www.w3.org/2000/svg";
function sv(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}
function setText(id, text) { document.querySelector(`[data-testid="${id}"]`).textContent = text; }

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const k of Object.keys(state)) if (p.has(k)) state[k] = p.get(k);
  if (!p.has("from") && !p.has("to")) preset(7, false);
}
function writeHash() {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (v) p.set(k, v);
  history.replaceState(null, "", "#" + p.toString());
}

// preset sets the last n days (0: all time); the date inputs show days.
function preset(days, apply = true) {
  state.to = "";
  state.from = days ? new Date(Date.now() - days * 864e5).toISOString().slice(0, 16) + ":00Z" : "";
  showFilters();
  if (apply) load();
}
function dayAfter(d) { return new Date(Date.parse(d + "T00:00:00Z") + 864e5).toISOString().slice(0, 10); }
function dayBefore(d) { return new Date(Date.parse(d) - 864e5).toISOString().slice(0, 10); }
function showFilters() {
  $("#from").value = state.from.slice(0, 10);
  $("#to").value = state.to ? dayBefore(state.to.length === 10 ? state.to + "T00:00:00Z" : state.to) : "";
  $("#fkey").value = state.key;
  $("#fmodel").value = state.model;
  $("#gran").value = state.g;
}
function takeFilters() {
  const f = $("#from").value, t = $("#to").value;
  if (f !== state.from.slice(0, 10)) state.from = f;
  state.to = t ? dayAfter(t) : "";
  state.key = $("#fkey").value;
  state.model = $("#fmodel").value;
  state.g = $("#gran").value;
}

async function load() {
  const key = sessionStorage.getItem(KEY);
  if (!key) return showLogin("");
  writeHash();
  const q = new URLSearchParams({ granularity: state.g });
  for (const k of ["from", "to", "key", "model"]) if (state[k]) q.set(k, state[k]);
  setText("status", "loading…");
  let resp;
  try {
    resp = await fetch("/v1/usage/dashboard?" + q, { headers: { Authorization: "Bearer " + key } });
  } catch (e) {
    return setText("status", "gateway unreachable: " + e.message);
  }
  const body = await resp.json().catch(() => ({}));
  if (resp.status === 401 || resp.status === 403) {
    sessionStorage.removeItem(KEY);
    return showLogin((body.error && body.error.message) || "admin key refused");
  }
  if (!resp.ok) return setText("status", "error " + resp.status + ": " + ((body.error && body.error.message) || ""));
  $("#login").hidden = true;
  $("#main").hidden = false;
  $("#logout").hidden = false;
  render(body);
  setText("status", "updated " + new Date().toLocaleTimeString());
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
}

function showLogin(msg) {
  $("#main").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  setText("login-error", msg);
}

function render(d) {
  if (!choicesFilled) {
    for (const k of d.keys) $("#fkey").append(el("option", { value: k }, k));
    for (const m of d.models) $("#fmodel").append(el("option", { value: m }, m));
    choicesFilled = true;
    showFilters();
  }
  renderRouter(d.router);
  const s = d.summary, t = s.totals;
  const cov = s.coverage;
  $("#coverage").hidden = !cov.rounded;
  $("#coverage").textContent = cov.rounded ? cov.note + " Raw records kept from " + cov.raw_since + "." : "";
  setText("kpi-cost", usd(t.cost_usd));
  setText("kpi-baseline", usd(t.baseline_cost_usd));
  setText("kpi-baseline-model", "all on " + s.baseline.model);
  setText("kpi-savings", usd(t.savings_usd));
  setText("kpi-savings-share", pct(t.savings_share) + " of baseline");
  setText("kpi-requests", int(t.requests));
  setText("kpi-tokens", int(t.input_tokens) + " in · " + int(t.output_tokens + t.thinking_tokens) + " out tokens");
  setText("kpi-error-rate", pct(t.error_rate));
  setText("kpi-errors", int(t.errors) + " errors");
  setText("kpi-p50", "p50 " + ms(s.latency.p50_ms));
  setText("kpi-p90-p99", "p90 " + ms(s.latency.p90_ms) + " · p99 " + ms(s.latency.p99_ms));
  setText("baseline-note", s.baseline.note + ` Baseline model: ${s.baseline.model} at $${s.baseline.input_usd_per_mtok} in / $${s.baseline.output_usd_per_mtok} out per 1M tokens.`);
  setText("latency-note", s.latency.note);
  setText("drift-note", s.drift.note);
  const series = fillPeriods(d.series.rows, state.g);
  costChart($("#chart-cost"), series);
  errorChart($("#chart-errors"), series);
  drift(s, series);
  versions(d.versions);
  shares($("#by-model"), d.by_model.rows, "model");
  shares($("#by-policy"), d.by_policy.rows, "policy");
  cascade($("#by-cascade"), d.by_cascade.rows);
  budgets($("#budgets"), d.budgets);
  topKeys(d.top_keys.rows);
}

function renderRouter(r) {
  const box = $("#router");
  box.replaceChildren();
  if (!r.loaded) {
    box.append("no router model loaded: routing by policy_mapping rules · cheap ", el("b", {}, r.cheap_model), " · strong ", el("b", {}, r.strong_model));
    return;
  }
  box.append("router ", el("b", {}, r.kind), " version ", el("b", { "data-testid": "router-version" }, r.version || "?"));
  if (r.threshold != null) box.append(" · threshold ", el("b", { "data-testid": "router-threshold" }, r.threshold.toFixed(3)));
  if (r.strong_share != null) box.append(" (strong share ", el("b", { "data-testid": "router-strong-share" }, pct(r.strong_share)), ")");
  if (r.cascade) {
    box.append(" · cascade threshold ", el("b", { "data-testid": "router-cascade-threshold" }, r.cascade.threshold.toFixed(3)));
    if (r.cascade.escalation_share != null) box.append(" (escalates ", el("b", {}, pct(r.cascade.escalation_share)), ")");
  }
}

// fillPeriods adds the empty days or hours between the first and last
// rows, so gaps in traffic show as gaps.
function fillPeriods(rows, g) {
  if (rows.length < 2) return rows;
  const step = g === "hour" ? 36e5 : 864e5;
  const at = (r) => Date.parse(g === "hour" ? r.group : r.group + "T00:00:00Z");
  const by = new Map(rows.map((r) => [at(r), r]));
  const out = [];
  for (let t = at(rows[0]); t <= at(rows[rows.length - 1]) && out.length < 5000; t += step) {
    const iso = new Date(t).toISOString();
    out.push(by.get(t) || { group: g === "hour" ? iso.slice(0, 19) + "Z" : iso.slice(0, 10), requests: 0, errors: 0, cost_usd: 0, baseline_cost_usd: 0,
      routed: 0, drift_scored: 0, out_of_distribution: 0, out_of_distribution_share: 0 });
  }
  return out;
}

// niceMax is the top of an axis of four equal steps of 1, 2 or 5 x 10^k.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const step = v / 4, p = Math.pow(10, Math.floor(Math.log10(step)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= step) return 4 * m * p;
  return 40 * p;
}
// tick formats an axis value with as many decimals as its step needs.
function tick(v, ymax) {
  const step = ymax / 4;
  let d = 0;
  while (d < 8 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6) d++;
  return v.toFixed(d);
}

// frame draws the axes of a W x H chart and returns its plot geometry.
function frame(svg, rows, ymax, fmtY) {
  const W = 1000, H = 240, L = 70, R = 50, T = 10, B = 28;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const g = { x0: L, x1: W - R, y0: H - B, y1: T, n: Math.max(rows.length, 1) };
  g.bw = (g.x1 - g.x0) / g.n;
  g.y = (v) => g.y0 - (v / ymax) * (g.y0 - g.y1);
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4, y = g.y(v);
    svg.append(sv("line", { x1: g.x0, x2: g.x1, y1: y, y2: y, class: "axis" }));
    const t = sv("text", { x: g.x0 - 6, y: y + 4, "text-anchor": "end" });
    t.textContent = fmtY(v);
    svg.append(t);
  }
  const every = Math.ceil(rows.length / 8);
  rows.forEach((r, i) => {
    if (i % every) return;
    const t = sv("text", { x: g.x0 + (i + 0.5) * g.bw, y: g.y0 + 16, "text-anchor": "middle" });
    t.textContent = state.g === "hour" ? r.group.slice(5, 13).replace("T", " ") + "h" : r.group.slice(5);
    svg.append(t);
  });
  return g;
}

function legend(box, items) {
  box.append(el("div", { class: "legend" }, ...items.map(([name, color]) => {
    const i = el("i");
    i.style.background = color;
    return el("span", {}, i, name);
  })));
}

function empty(box, what) {
  box.replaceChildren(el("p", { class: "empty" }, what));
}

function costChart(box, rows) {
  if (!rows.length) return empty(box, "no requests in this range");
  box.replaceChildren();
  const svg = sv("svg", { role: "img", "aria-label": "spend and baseline cost per period" });
  const ymax = niceMax(Math.max(...rows.map((r) => Math.max(r.cost_usd, r.baseline_cost_usd))));
  const g = frame(svg, rows, ymax, (v) => "$" + tick(v, ymax));
  rows.forEach((r, i) => {
    const x = g.x0 + i * g.bw, w = Math.max(g.bw * 0.38, 0.5);
    for (const [v, color, dx, name] of [[r.cost_usd, COLOR.cost, 0.1, "spend"], [r.baseline_cost_usd, COLOR.base, 0.52, "baseline (est.)"]]) {
      const b = sv("rect", { x: x + g.bw * dx, y: g.y(v), width: w, height: Math.max(g.y0 - g.y(v), 0), fill: color });
      const tip = sv("title");
      tip.textContent = `${r.group}: ${name} ${usd(v)}`;
      b.append(tip);
      svg.append(b);
    }
  });
  box.append(svg);
  legend(box, [["spend", COLOR.cost], ["baseline, all on the strong model (estimate)", COLOR.base]]);
}

function errorChart(box, rows) {
  if (!rows.length) return empty(box, "no requests in this range");
  box.replaceChildren();
  const svg = sv("svg", { role: "img", "aria-label": "requests and error rate per period" });
  const ymax = niceMax(Math.max(...rows.map((r) => r.requests)));
  const g = frame(svg, rows, ymax, (v) => tick(v, ymax));
  const rates = rows.map((r) => (r.requests ? r.errors / r.requests : 0));
  const rmax = niceMax(Math.max(...rates, 0.01));
  let path = "";
  rows.forEach((r, i) => {
    const x = g.x0 + i * g.bw;
    svg.append(sv("rect", { x: x + g.bw * 0.15, y: g.y(r.requests), width: Math.max(g.bw * 0.7, 0.5), height: g.y0 - g.y(r.requests), fill: COLOR.bar }));
    const y = g.y0 - (rates[i] / rmax) * (g.y0 - g.y1);
    path += (i ? "L" : "M") + (x + g.bw / 2).toFixed(1) + " " + y.toFixed(1);
  });
  svg.append(sv("path", { d: path, fill: "none", stroke: COLOR.bad, "stroke-width": 2 }));
  for (let i = 0; i <= 4; i++) {
    const t = sv("text", { x: g.x1 + 6, y: g.y((ymax * i) / 4) + 4 });
    t.textContent = pct((rmax * i) / 4);
    svg.append(t);
  }
  box.append(svg);
  legend(box, [["requests", COLOR.bar], ["error rate (right axis)", COLOR.bad]]);
}

// drift shows how much routed traffic the router was not trained on: the
// period's share out of distribution, and what to do about it.
function drift(s, rows) {
  const t = s.totals;
  setText("ood-share", t.drift_scored ? pct(t.out_of_distribution_share) : "–");
  setText("ood-counts", `${int(t.out_of_distribution)} of ${int(t.drift_scored)} scored routed requests`);
  setText("drift-threshold", s.drift.threshold.toFixed(2));
  const hint = $('[data-testid="drift-hint"]');
  const at = s.drift.hint.indexOf(": ");
  hint.replaceChildren(at < 0 ? s.drift.hint : s.drift.hint.slice(0, at + 2), el("code", {}, at < 0 ? "" : s.drift.hint.slice(at + 2)));
  const box = $("#chart-drift");
  if (!rows.some((r) => r.drift_scored > 0)) return empty(box, "no routed request with a drift score in this range");
  box.replaceChildren();
  const svg = sv("svg", { role: "img", "aria-label": "share of routed requests out of distribution per period" });
  const ymax = Math.min(niceMax(Math.max(...rows.map((r) => r.out_of_distribution_share), 0.01)), 1);
  const g = frame(svg, rows, ymax, pct);
  rows.forEach((r, i) => {
    if (!r.drift_scored) return;
    const v = r.out_of_distribution_share;
    const b = sv("rect", { x: g.x0 + i * g.bw + g.bw * 0.15, y: g.y(v), width: Math.max(g.bw * 0.7, 0.5), height: Math.max(g.y0 - g.y(v), 0), fill: COLOR.ood });
    const tip = sv("title");
    tip.textContent = `${r.group}: ${pct(v)} out of distribution (${int(r.out_of_distribution)} of ${int(r.drift_scored)})`;
    b.append(tip);
    svg.append(b);
  });
  box.append(svg);
  legend(box, [["share out of distribution", COLOR.ood]]);
}

const when = (iso) => iso.slice(0, 16).replace("T", " ") + " UTC";

function versions(v) {
  const body = $("#versions tbody");
  body.replaceChildren();
  if (!v.versions.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "empty" }, "no request routed by a router model in this range")));
  for (const r of v.versions) {
    const name = el("td", {}, r.version);
    if (r.version === v.serving) name.append(" ", el("span", { class: "serving", "data-testid": "serving-" + r.version }, "serving since " + when(v.serving_since)));
    body.append(el("tr", { "data-testid": "version-" + r.version }, name, el("td", {}, when(r.first)), el("td", {}, when(r.last)),
      el("td", { "data-testid": "version-requests-" + r.version }, int(r.requests)),
      el("td", { "data-testid": "version-ood-" + r.version }, r.drift_scored ? pct(r.out_of_distribution_share) : "–")));
  }
  setText("versions-note", v.note);
}

function shareRow(box, name, share, num, testid) {
  const fill = el("div", { class: "fill" });
  fill.style.width = (100 * Math.min(Math.max(share, 0), 1)).toFixed(2) + "%";
  box.append(el("span", {}, name), el("div", { class: "track" }, fill), el("span", { class: "num", "data-testid": testid }, num));
}

function shares(box, rows, kind) {
  if (!rows.length) return empty(box, "no requests in this range");
  const list = el("div", { class: "rows" });
  for (const r of rows) {
    shareRow(list, r.group || (kind === "policy" ? "(not routed)" : "(none)"), r.request_share, `${pct(r.request_share)} · ${int(r.requests)} req · ${usd(r.cost_usd)}`, `share-${kind}-${r.group}`);
  }
  box.replaceChildren(list);
}

function cascade(box, rows) {
  const c = rows.filter((r) => r.group !== "" && r.requests > 0);
  const n = c.reduce((a, r) => a + r.requests, 0);
  if (!n) return empty(box, "no router-cascade requests in this range");
  const list = el("div", { class: "rows" });
  for (const o of ["accepted", "escalated", "skipped"]) {
    const r = c.find((x) => x.group === o) || { requests: 0, cost_usd: 0 };
    shareRow(list, o, r.requests / n, `${pct(r.requests / n)} · ${int(r.requests)} req · ${usd(r.cost_usd)}`, `cascade-${o}`);
  }
  box.replaceChildren(list);
}

function budgets(box, b) {
  if (b.error) return empty(box, b.error);
  if (!b.enabled) return empty(box, "no budgets configured (budgets: in router.yaml)");
  const list = el("div", { class: "rows" });
  const rows = (b.global ? [{ ...b.global, key_id: "global" }] : []).concat(b.keys);
  for (const u of rows) {
    const track = el("div", { class: "track" });
    if (u.limit_usd > 0) {
      for (const [v, cls] of [[u.spent_usd, "fill spent"], [u.reserved_usd, "fill held"]]) {
        const f = el("div", { class: cls });
        f.style.width = (100 * Math.min(v / u.limit_usd, 1)).toFixed(2) + "%";
        track.append(f);
      }
    }
    const num = u.limit_usd > 0 ? `${usdShort(u.headroom_usd)} left of ${usdShort(u.limit_usd)} ${b.period}` : `no limit · ${usdShort(u.spent_usd)} spent`;
    list.append(el("span", {}, u.key_id), track, el("span", { class: "num", "data-testid": "budget-" + u.key_id }, num));
  }
  box.replaceChildren(list);
}

function topKeys(rows) {
  const body = $("#top-keys tbody");
  body.replaceChildren();
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, "no requests in this range")));
  for (const r of rows) {
    body.append(el("tr", { "data-testid": "key-" + r.group },
      el("td", {}, r.group), el("td", {}, int(r.requests)), el("td", {}, int(r.errors)),
      el("td", {}, usd(r.cost_usd)), el("td", {}, usd(r.baseline_cost_usd)), el("td", {}, usd(r.savings_usd))));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  readHash();
  $("#login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, $("#key").value.trim());
    $("#key").value = "";
    load();
  });
  $("#logout").addEventListener("click", () => { sessionStorage.removeItem(KEY); showLogin(""); });
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); takeFilters(); load(); });
  for (const b of document.querySelectorAll(".presets button")) b.addEventListener("click", () => preset(Number(b.dataset.days)));
  showFilters();
  load();
});

// trainspend's read-only page: the fleet's jobs, one Job's cost curve, the budgets. Plain ES2017, no build step;
// it reads only the daemon's own JSON API, so it shows exactly what scripts see.
"use strict";

const view = document.getElementById("view");
const TOKEN_KEY = "trainspend-api-token";

// The API token, when the daemon has one (config.api_token): given once as a URL fragment (`/#token=...`, which the
// browser never sends to a server), kept in sessionStorage for this tab only, and dropped from the address bar and
// history at once. Never put in a query string, where proxies and access logs would keep it.
function takeTokenFromFragment() {
  const parts = location.hash.replace(/^#/, "").split(/[?&]/);
  const index = parts.findIndex((part) => part.startsWith("token="));
  if (index < 0) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(parts[index].slice("token=".length)));
  parts.splice(index, 1);
  history.replaceState(null, "", location.pathname + "#" + (parts.filter(Boolean).join("&") || "/"));
}

class NeedsToken extends Error {}

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children || []) node.append(child instanceof Node ? child : String(child));
  return node;
}

function usd(value) {
  return value === null || value === undefined ? "—" : "$" + Number(value).toLocaleString("en-US", {maximumFractionDigits: 2, minimumFractionDigits: 2});
}

async function getJson(path) {
  const headers = {Accept: "application/json"};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, {headers: headers});
  if (response.status === 401) throw new NeedsToken(token ? "the API token was refused" : "this daemon needs its API token");
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function percent(ratio) {
  return ratio === null || ratio === undefined ? "—" : Math.round(ratio * 100) + "%";
}

function table(columns, rows) {
  const head = el("tr", {}, columns.map(([name, cls]) => el("th", cls ? {class: cls} : {}, [name])));
  return el("table", {}, [el("thead", {}, [head]), el("tbody", {}, rows)]);
}

async function fleet() {
  const [jobs, budgets] = await Promise.all([getJson("/api/v1/jobs"), getJson("/api/v1/budgets")]);
  document.getElementById("cluster").textContent = jobs.cluster || "";
  document.getElementById("as-of").textContent = jobs.as_of ? "as of " + jobs.as_of : "waiting for the first tick";
  const jobRows = jobs.items.map((j) => {
    const p = j.projected_cost_usd;
    const link = el("a", {href: "#/job/" + encodeURIComponent(j.namespace) + "/" + encodeURIComponent(j.name)}, [j.namespace + "/" + j.name]);
    return el("tr", {class: "job"}, [
      el("td", {}, [link]), el("td", {}, [j.kind]), el("td", {}, [j.state]),
      el("td", {class: "num"}, [usd(j.cost_usd)]), el("td", {class: "num"}, [usd(j.hourly_cost_usd)]),
      el("td", {class: "num"}, [j.progress === null ? "—" : Math.round(j.progress * 100) + "%"]),
      el("td", {class: "num gpu-util"}, [percent(j.gpu_utilization)]),
      el("td", {class: "num"}, [p ? usd(p.p50) + " (" + usd(p.p10) + "–" + usd(p.p90) + ")" : "—"]),
      el("td", {}, [j.expected_completion || "—"]),
      el("td", {class: "state-" + (j.budget_state || "none")}, [j.budget_state || "—"]),
    ]);
  });
  const budgetRows = budgets.items.map((b) => el("tr", {class: "budget"}, [
    el("td", {}, [b.name]), el("td", {}, [b.period]), el("td", {class: "num"}, [usd(b.spend_usd)]),
    el("td", {class: "num"}, [usd(b.projected_spend_usd)]), el("td", {class: "num"}, [usd(b.limit_usd)]),
    el("td", {class: "state-" + b.state}, [b.state]),
  ]));
  view.replaceChildren(
    el("h2", {}, ["Jobs (" + jobs.items.length + ")"]),
    table([["job"], ["kind"], ["state"], ["cost", "num"], ["$/h", "num"], ["progress", "num"], ["GPU util", "num"], ["projected p50 (p10–p90)", "num"], ["ETA"], ["budget"]], jobRows),
    el("h2", {}, ["Budgets (" + budgets.items.length + ")"]),
    table([["budget"], ["period"], ["spend", "num"], ["projected", "num"], ["limit", "num"], ["state"]], budgetRows),
  );
}

function costChart(hours, projected) {
  // Cumulative spend per UTC hour as a line; the projected p50 (and p10–p90) as dashed horizontal lines.
  const W = 720, H = 300, M = 50, NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H); svg.setAttribute("id", "cost-chart");
  const top = Math.max(1, ...hours.map((h) => h.cumulative_usd), projected ? projected.p90 : 0);
  const x = (i) => M + (hours.length > 1 ? i / (hours.length - 1) : 0.5) * (W - 2 * M);
  const y = (v) => H - M - (v / top) * (H - 2 * M);
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    svg.append(node);
  };
  add("line", {x1: M, y1: H - M, x2: W - M, y2: H - M, stroke: "#888"});
  add("text", {x: M, y: H - M + 18, "font-size": 11}, hours.length ? hours[0].hour : "no spend recorded yet");
  add("text", {x: 4, y: y(top) + 4, "font-size": 11}, usd(top));
  if (projected) {
    for (const [key, dash] of [["p10", "2 4"], ["p50", "6 3"], ["p90", "2 4"]]) {
      add("line", {x1: M, y1: y(projected[key]), x2: W - M, y2: y(projected[key]), stroke: "#E69F00", "stroke-dasharray": dash, class: "projection"});
      add("text", {x: W - M + 4, y: y(projected[key]) + 4, "font-size": 11}, key);
    }
  }
  if (hours.length) {
    const points = hours.map((h, i) => x(i).toFixed(1) + "," + y(h.cumulative_usd).toFixed(1)).join(" ");
    add("polyline", {points: points, fill: "none", stroke: "#0072B2", "stroke-width": 2, class: "cost-line"});
  }
  return svg;
}

function projectionChart(points) {
  // The projection as each stored snapshot had it, against time: the p10–p90 band filled, the p50 as a line, and the
  // cost so far beneath them. A projection that settles shows the band narrowing onto the final cost.
  const W = 720, H = 300, M = 50, NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H); svg.setAttribute("id", "projection-chart");
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    svg.append(node);
  };
  add("line", {x1: M, y1: H - M, x2: W - M, y2: H - M, stroke: "#888"});
  if (!points.length) {
    add("text", {x: M, y: H / 2, "font-size": 12}, "no projection stored yet");
    return svg;
  }
  const times = points.map((p) => Date.parse(p.at));
  const first = times[0], span = Math.max(1, times[times.length - 1] - first);
  const top = Math.max(1, ...points.map((p) => p.projected_cost_usd.p90));
  const x = (i) => M + (points.length > 1 ? (times[i] - first) / span : 0.5) * (W - 2 * M);
  const y = (v) => H - M - (v / top) * (H - 2 * M);
  const line = (key) => points.map((p, i) => x(i).toFixed(1) + "," + y(key(p)).toFixed(1)).join(" ");
  const upper = points.map((p, i) => x(i).toFixed(1) + "," + y(p.projected_cost_usd.p90).toFixed(1));
  const lower = points.map((p, i) => x(i).toFixed(1) + "," + y(p.projected_cost_usd.p10).toFixed(1)).reverse();
  add("polygon", {points: upper.concat(lower).join(" "), fill: "#E69F00", "fill-opacity": 0.25, class: "projection-band"});
  add("polyline", {points: line((p) => p.projected_cost_usd.p50), fill: "none", stroke: "#E69F00", "stroke-width": 2, class: "projection-p50"});
  add("polyline", {points: line((p) => p.cost_usd), fill: "none", stroke: "#0072B2", "stroke-width": 2, class: "cost-so-far"});
  add("text", {x: 4, y: y(top) + 4, "font-size": 11}, usd(top));
  add("text", {x: M, y: H - M + 18, "font-size": 11}, points[0].at);
  add("text", {x: W - M, y: H - M + 18, "font-size": 11, "text-anchor": "end"}, points[points.length - 1].at);
  const last = points[points.length - 1];
  add("text", {x: W - M + 4, y: y(last.projected_cost_usd.p50) + 4, "font-size": 11}, "p50");
  return svg;
}

async function jobPage(namespace, name) {
  const base = "/api/v1/jobs/" + encodeURIComponent(namespace) + "/" + encodeURIComponent(name);
  const [job, history] = await Promise.all([getJson(base), getJson(base + "/history")]);
  view.replaceChildren(
    el("h2", {}, [namespace + "/" + name + " (" + job.kind + ", " + job.state + ")"]),
    el("p", {}, ["Cost so far " + usd(job.cost_usd) + " at " + usd(job.hourly_cost_usd) + "/h; projected " +
      (job.projected_cost_usd ? usd(job.projected_cost_usd.p50) : "—") + "; ETA " + (job.expected_completion || "—")]),
    el("p", {id: "gpu-utilization"}, ["GPU utilization " + percent(job.gpu_utilization) + "; unused GPU cost " +
      usd(job.unused_gpu_cost_usd) + (job.unused_gpu_cost_usd === null ? " (not measured: config.dcgm)" : " since measured")]),
    el("h3", {}, ["Cost so far by hour, against the projection now"]),
    costChart(history.hours, job.projected_cost_usd),
    el("h3", {}, ["Projected total over time (p50, p10–p90 band) and cost so far"]),
    projectionChart(history.projections || []),
    el("p", {}, [el("a", {href: "#/"}, ["← all jobs"])]),
  );
}

async function render() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  try {
    if (parts[0] === "job" && parts.length === 3) await jobPage(parts[1], parts[2]);
    else await fleet();
  } catch (error) {
    if (error instanceof NeedsToken) tokenForm(error.message);
    else view.replaceChildren(el("p", {class: "error"}, ["Cannot load: " + error.message]));
  }
}

function tokenForm(why) {
  const input = el("input", {type: "password", id: "token-input", autocomplete: "off", required: "required"});
  const form = el("form", {id: "token-form"}, [el("label", {}, ["API token ", input]), " ", el("button", {type: "submit"}, ["Use"])]);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    render();
  });
  view.replaceChildren(el("p", {class: "needs-token"}, ["Sign in: " + why + " (kept for this tab only; or open the page as /#token=…)."]), form);
}

window.addEventListener("hashchange", () => { takeTokenFromFragment(); render(); });
takeTokenFromFragment();
render();

/**
 * The report's chart, hand-written SVG: panels stacked one above the other.
 *
 * - ratio panels: one horizontal bar per comparison on a logarithmic axis centred on 1x, going
 *   right when we are faster (their time / ours above 1x) and left when slower, with its value
 *   written next to it and the goal, if any, marked on it;
 * - line panels: times against a size, both axes logarithmic, one labelled line per series;
 * - bar panels: plain values on a linear axis (memory in MiB).
 *
 * @module
 */
import { OURS } from "./browser.ts";
import { DENO_FS, DENO_KV, RAW_KV } from "./deno_report.ts";
import { SERIES } from "./disk.ts";
import { KEY_SIDES, keyGoal, LINEAR, perLiteralGrowth } from "./keys.ts";
import { multiple } from "./memory.ts";
import type { BenchReport } from "./report.ts";
import { FLAT, growth, setWithRecount } from "./scale.ts";

export interface RatioBar {
  label: string;
  /** Their time / ours; `undefined`: not measured. */
  value: number | undefined;
  /** The goal, as a ratio on the same axis (e.g. 3 for "≥ 3x", 1 / 1.2 for "within 1.2x"). */
  goal?: number;
  /** How the goal reads (default `≥ 3x`); a strict goal is met only above it. */
  goalText?: string;
  strict?: boolean;
}

export interface RatioPanel {
  kind: "ratio";
  title: string;
  subtitle: string;
  /** What the left and right of 1x mean (default: slower, faster than the other side). */
  sides?: [string, string];
  groups: { label: string; bars: RatioBar[] }[];
}

export interface LinePanel {
  kind: "line";
  title: string;
  subtitle: string;
  xLabel: string;
  yLabel: string;
  series: { label: string; points: [number, number][]; note?: string }[];
}

export interface BarPanel {
  kind: "bars";
  title: string;
  subtitle: string;
  unit: string;
  groups: { label: string; bars: { label: string; value: number; note: string }[] }[];
}

export type Panel = RatioPanel | LinePanel | BarPanel;

const WIDTH = 1180;
const LEFT = 330; // bars start here; labels to the left
const RIGHT = WIDTH - 190; // then the goals' column
const ROW = 17;
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const FASTER = "#2e8b57";
const SLOWER = "#d0453a";

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const n = (x: number) => Number(x.toFixed(1));

class Svg {
  readonly parts: string[] = [];

  text(
    x: number,
    y: number,
    text: string,
    { anchor = "start", size = 12, weight = "normal", color = "#222" } = {},
  ): void {
    this.parts.push(
      `<text x="${n(x)}" y="${n(y)}" text-anchor="${anchor}" font-size="${size}" ` +
        `font-weight="${weight}" fill="${color}">${escape(text)}</text>`,
    );
  }

  line(x1: number, y1: number, x2: number, y2: number, color = "#999", width = 1, dash = ""): void {
    this.parts.push(
      `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${color}" ` +
        `stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
    );
  }

  rect(x: number, y: number, w: number, h: number, color: string): void {
    this.parts.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${n(Math.max(w, 0.5))}" height="${n(h)}" ` +
        `fill="${color}"/>`,
    );
  }

  polyline(points: [number, number][], color: string): void {
    this.parts.push(
      `<polyline points="${points.map(([x, y]) => `${n(x)},${n(y)}`).join(" ")}" fill="none" ` +
        `stroke="${color}" stroke-width="2"/>`,
    );
    for (const [x, y] of points) {
      this.parts.push(`<circle cx="${n(x)}" cy="${n(y)}" r="3.5" fill="${color}"/>`);
    }
  }
}

/** `3.21x`, `0.847x`, `12.3x`. */
function times(x: number): string {
  return `${Number(x.toPrecision(3))}x`;
}

/** Tick values 1, 2, 5 per decade within [lo, hi]. */
function logTicks(lo: number, hi: number, steps = [1, 2, 5]): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const s of steps) {
      const t = s * 10 ** e;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(Number(t.toPrecision(3)));
    }
  }
  return ticks;
}

function heading(svg: Svg, y: number, title: string, subtitle: string): number {
  svg.text(20, y + 20, title, { size: 17, weight: "bold" });
  svg.text(20, y + 40, subtitle, { size: 12, color: "#555" });
  return y + 64;
}

function ratioPanel(svg: Svg, top: number, panel: RatioPanel): number {
  let y = heading(svg, top, panel.title, panel.subtitle);
  const values = panel.groups.flatMap((g) =>
    g.bars.flatMap((b) => [b.value, b.goal].filter((v): v is number => v !== undefined))
  );
  const lo = Math.min(0.2, ...values.map((v) => v / 1.3));
  const hi = Math.max(5, ...values.map((v) => v * 1.3));
  const x = (v: number) =>
    LEFT + ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * (RIGHT - LEFT);
  const axisTop = y;
  const rows = panel.groups.reduce((sum, g) => sum + g.bars.length + 1, 0);
  const axisBottom = axisTop + rows * ROW + 4;
  // The grid and the axis.
  for (const t of logTicks(lo, hi)) {
    svg.line(x(t), axisTop, x(t), axisBottom, t === 1 ? "#333" : "#e3e3e3", t === 1 ? 1.5 : 1);
    svg.text(x(t), axisBottom + 14, times(t), { anchor: "middle", size: 11, color: "#555" });
  }
  if (panel.groups.some((g) => g.bars.some((b) => b.goal !== undefined))) {
    svg.text(RIGHT + 12, axisTop - 4, "goal (ratio)", { size: 11, weight: "bold" });
  }
  const [left, right] = panel.sides ?? ["slower than the other side", "faster than the other side"];
  svg.text(x(1) - 6, axisBottom + 30, `← ${left}`, {
    anchor: "end",
    size: 11,
    color: SLOWER,
  });
  svg.text(x(1) + 6, axisBottom + 30, `${right} →`, {
    size: 11,
    color: FASTER,
  });
  for (const group of panel.groups) {
    svg.text(20, y + ROW - 4, group.label, { weight: "bold" });
    y += ROW;
    for (const bar of group.bars) {
      svg.text(LEFT - 8, y + ROW - 5, bar.label, { anchor: "end", size: 11 });
      // The bar, then the goal's mark on it, then the value's label over both.
      const faster = bar.value !== undefined && bar.value >= 1;
      if (bar.value !== undefined) {
        const from = x(1), to = x(bar.value);
        svg.rect(Math.min(from, to), y + 3, Math.abs(to - from), ROW - 6, faster ? FASTER : SLOWER);
      }
      if (bar.goal !== undefined) {
        const met = bar.value !== undefined &&
          (bar.strict ? bar.value > bar.goal : bar.value >= bar.goal);
        if (bar.goal !== 1) svg.line(x(bar.goal), y + 1, x(bar.goal), y + ROW - 1, "#000", 2.5);
        const goal = `${bar.goalText ?? `≥ ${times(bar.goal)}`}: ${met ? "met" : "NOT met"}`;
        svg.text(RIGHT + 12, y + ROW - 5, goal, {
          size: 11,
          color: met ? "#333" : SLOWER,
          weight: met ? "normal" : "bold",
        });
      }
      if (bar.value === undefined) {
        svg.text(x(1) + 6, y + ROW - 5, "not measured", { size: 11, color: "#888" });
      } else {
        // Right of the bar's end (and of a goal's mark just past it) when faster; right of
        // the 1x line (free) when slower.
        let at = faster ? x(bar.value) : x(1);
        if (faster && bar.goal !== undefined && x(bar.goal) >= at && x(bar.goal) - at < 40) {
          at = x(bar.goal) + 2;
        }
        svg.text(at + 4, y + ROW - 5, times(bar.value), {
          size: 11,
          weight: "bold",
          color: faster ? FASTER : SLOWER,
        });
      }
      y += ROW;
    }
  }
  return axisBottom + 44;
}

function linePanel(svg: Svg, top: number, panel: LinePanel): number {
  const y0 = heading(svg, top, panel.title, panel.subtitle);
  const height = 300;
  const plotLeft = 90, plotRight = 760;
  const xs = panel.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = panel.series.flatMap((s) => s.points.map(([, y]) => y));
  const xLo = Math.min(...xs), xHi = Math.max(...xs);
  const yLo = Math.min(...ys) / 1.5, yHi = Math.max(...ys) * 1.5;
  const px = (v: number) =>
    plotLeft + ((Math.log(v) - Math.log(xLo)) / (Math.log(xHi) - Math.log(xLo))) *
      (plotRight - plotLeft);
  const py = (v: number) =>
    y0 + height - ((Math.log(v) - Math.log(yLo)) / (Math.log(yHi) - Math.log(yLo))) * height;
  for (const t of logTicks(yLo, yHi)) {
    svg.line(plotLeft, py(t), plotRight, py(t), "#e3e3e3");
    svg.text(plotLeft - 6, py(t) + 4, formatTime(t), { anchor: "end", size: 11, color: "#555" });
  }
  for (const t of logTicks(xLo, xHi, [1])) {
    svg.line(px(t), y0, px(t), y0 + height, "#e3e3e3");
    svg.text(px(t), y0 + height + 16, t.toLocaleString("en-US"), {
      anchor: "middle",
      size: 11,
      color: "#555",
    });
  }
  svg.line(plotLeft, y0 + height, plotRight, y0 + height, "#333");
  svg.line(plotLeft, y0, plotLeft, y0 + height, "#333");
  svg.text((plotLeft + plotRight) / 2, y0 + height + 34, panel.xLabel, { anchor: "middle" });
  svg.parts.push(
    `<text x="24" y="${n(y0 + height / 2)}" text-anchor="middle" font-size="12" fill="#222" ` +
      `transform="rotate(-90 24 ${n(y0 + height / 2)})">${escape(panel.yLabel)}</text>`,
  );
  // Legend on the right, in the order of the lines' last points, each with its note.
  const ends = panel.series.map((s, i) => ({ s, i, y: py(s.points.at(-1)![1]) }));
  ends.sort((a, b) => a.y - b.y);
  let legendY = y0 + 6;
  for (const { s, i } of ends) {
    const color = COLORS[i % COLORS.length]!;
    svg.polyline(s.points.map(([x, y]) => [px(x), py(y)]), color);
    svg.line(plotRight + 20, legendY, plotRight + 40, legendY, color, 3);
    svg.text(plotRight + 46, legendY + 4, s.label, { size: 11, weight: "bold", color });
    if (s.note !== undefined) {
      svg.text(plotRight + 46, legendY + 18, s.note, { size: 11, color: "#333" });
    }
    legendY += s.note === undefined ? 20 : 36;
  }
  return Math.max(y0 + height + 50, legendY + 10);
}

function barPanel(svg: Svg, top: number, panel: BarPanel): number {
  let y = heading(svg, top, panel.title, panel.subtitle);
  const max = Math.max(...panel.groups.flatMap((g) => g.bars.map((b) => b.value)), 1) * 1.1;
  const x = (v: number) => LEFT + (v / max) * (RIGHT - 200 - LEFT);
  const axisTop = y;
  const rows = panel.groups.reduce((sum, g) => sum + g.bars.length + 1, 0);
  const axisBottom = axisTop + rows * ROW + 4;
  const step = 10 ** Math.floor(Math.log10(max / 2));
  const tick = max / step > 10 ? step * 5 : max / step > 5 ? step * 2 : step;
  for (let t = 0; t <= max; t += tick) {
    svg.line(x(t), axisTop, x(t), axisBottom, t === 0 ? "#333" : "#e3e3e3");
    svg.text(x(t), axisBottom + 14, `${Number(t.toPrecision(3))} ${panel.unit}`, {
      anchor: "middle",
      size: 11,
      color: "#555",
    });
  }
  for (const group of panel.groups) {
    svg.text(20, y + ROW - 4, group.label, { weight: "bold" });
    y += ROW;
    group.bars.forEach((bar, i) => {
      svg.text(LEFT - 8, y + ROW - 5, bar.label, { anchor: "end", size: 11 });
      svg.rect(x(0), y + 3, x(bar.value) - x(0), ROW - 6, COLORS[i % COLORS.length]!);
      svg.text(x(bar.value) + 4, y + ROW - 5, bar.note, { size: 11, weight: "bold" });
      y += ROW;
    });
  }
  return axisBottom + 30;
}

/** A time in µs as `12 µs`, `1.5 ms`, `2 s`. */
function formatTime(us: number): string {
  if (us >= 1e6) return `${Number((us / 1e6).toPrecision(3))} s`;
  if (us >= 1000) return `${Number((us / 1000).toPrecision(3))} ms`;
  return `${Number(us.toPrecision(3))} µs`;
}

/** The whole chart: a title, a line about the machine, then the panels. */
export function renderChart(title: string, subtitle: string, panels: Panel[]): string {
  const svg = new Svg();
  svg.text(20, 30, title, { size: 21, weight: "bold" });
  svg.text(20, 52, subtitle, { size: 12, color: "#555" });
  let y = 64;
  for (const panel of panels) {
    svg.line(20, y, WIDTH - 20, y, "#ccc");
    y = panel.kind === "ratio"
      ? ratioPanel(svg, y, panel)
      : panel.kind === "line"
      ? linePanel(svg, y, panel)
      : barPanel(svg, y, panel);
  }
  const height = Math.ceil(y + 10);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n` +
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>\n${svg.parts.join("\n")}\n</svg>\n`;
}

// --- The chart of a run ---------------------------------------------------------------------

/** The runtimes the goals name, in the order of the chart's goals panel. */
const RUNTIMES = ["Node", "Deno", "Chromium", "Firefox", "WebKit"];

/**
 * Every goal of the run, grouped by runtime (the first one its area, else its wording, names),
 * as its measured figure over what it needs: at 1x or right of it, met.
 */
export function goalsPanel(r: BenchReport): RatioPanel | undefined {
  const groups = new Map<string, RatioBar[]>();
  for (const g of r.goals) {
    if (!("margin" in g)) continue; // a goal of a module that gives no figure for the chart
    const runtime = RUNTIMES.find((name) => g.area.includes(name)) ??
      RUNTIMES.find((name) => g.goal.includes(name)) ?? "other";
    const label = `${g.area.replace(/ \(.*\)$/, "")}: ${g.goal}`.replaceAll("TaskCache + ", "")
      .replace(/ \((Node|Deno|Chromium|Firefox|WebKit)\)/g, "");
    const bars = groups.get(runtime) ?? [];
    groups.set(runtime, bars);
    bars.push({
      label: label.length > 52 ? `${label.slice(0, 51)}…` : label,
      value: g.margin,
      goal: 1,
      goalText: g.strict ? "> 1x" : "≥ 1x",
      ...(g.strict ? { strict: true } : {}),
    });
  }
  if (groups.size === 0) return undefined;
  const order = [...RUNTIMES, "other"];
  return {
    kind: "ratio",
    title: "Goals per runtime: each measured figure over what its goal needs",
    subtitle:
      "(log scale) 1x is the goal; right of it, met (bars from report.json's goals, as in " +
      "the README's summary and report.md's goals table)",
    sides: ["short of the goal", "past the goal"],
    groups: [...groups].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)).map((
      [runtime, bars],
    ) => ({ label: runtime, bars })),
  };
}

/** The panels of one run's report, in the order of the Markdown. */
export function reportPanels(r: BenchReport): Panel[] {
  const goals = goalsPanel(r);
  const panels: Panel[] = goals === undefined ? [] : [goals];
  if (r.keys !== undefined) {
    panels.push({
      kind: "ratio",
      title: "Keys: calculateCacheKey vs flytekit's Python stack",
      subtitle: "Python's time / ours, per call (log scale); goals: (a) ≥ 5x, (b) ≥ 25x in " +
        "Node and Deno, (a) ≥ 3x, (b) ≥ 15x, (c) ≥ 1x in Chromium",
      groups: r.keys.map((k) => ({
        label: k.case,
        bars: (["node", "portable", "deno", "chromium", "firefox", "webkit"] as const).map((
          side,
        ) => ({
          label: KEY_SIDES[side],
          value: k.us[side] === undefined || k.us.python === undefined
            ? undefined
            : k.us.python / k.us[side]!,
          ...(side === "portable" || keyGoal(k, side) === undefined
            ? {}
            : { goal: keyGoal(k, side) }),
        })),
      })),
    });
  }
  if (r.keyScale !== undefined) {
    const sides = (["node", "python"] as const).filter((side) =>
      r.keyScale!.every((p) => p[side] !== undefined)
    );
    panels.push({
      kind: "line",
      title: "Keys at scale: time per integer input",
      subtitle: `µs per literal against the number of integer inputs (log-log); linear if the ` +
        `cost per literal at 100,000 is within ${LINEAR}x of that at 1,000`,
      xLabel: "integer inputs",
      yLabel: "time per literal",
      series: sides.map((side) => {
        const growth = perLiteralGrowth(r.keyScale!, side);
        return {
          label: side === "node" ? "Node" : "Python (flytekit)",
          points: r.keyScale!.map((p) => [p.literals, p[side]! / p.literals]),
          note: `100k vs 1k: ${times(growth)} (${growth <= LINEAR ? "linear" : "NOT linear"})`,
        };
      }),
    });
  }
  if (r.disk !== undefined) {
    const disk = r.disk;
    panels.push({
      kind: "ratio",
      title: "Disk (Node): TaskCache + FsAdapter vs other stores, key included",
      subtitle: "Their time / ours, per operation (log scale); goals: 1 KiB within 1.2x of the " +
        "floor, ≥ 1x diskcache (flytekit path), > 1x cacache and unstorage",
      groups: disk.flatMap((d) =>
        (["set", "get"] as const).map((op) => ({
          label: `${d.label} ${op}`,
          bars: [
            [SERIES.floor, d.label === "1 KiB"],
            [SERIES.diskcacheKeyed, true],
            [SERIES.diskcachePlain, false],
            [SERIES.cacache, true],
            [SERIES.unstorage, true],
          ].map(([series, goal]) => {
            const theirs = d.times[series as string]?.[op];
            const strict = series === SERIES.cacache || series === SERIES.unstorage;
            const value = theirs === undefined ? undefined : theirs / d.times[SERIES.ours]![op];
            if (!goal) return { label: series as string, value };
            return series === SERIES.floor
              ? { label: series, value, goal: 1 / 1.2, goalText: "ours ≤ 1.2x" }
              : {
                label: series as string,
                value,
                goal: 1,
                strict,
                goalText: strict ? "> 1x" : "≥ 1x",
              };
          }),
        }))
      ),
    });
  }
  const scales = Object.entries(r.scale ?? {});
  if (scales.length > 0) {
    panels.push({
      kind: "line",
      title: "The cache at scale: time per set and get as the entries grow (1 KiB outputs)",
      subtitle: `µs per operation against the number of entries (log-log), the size limit's ` +
        `recount folded into sets; flat if the slowest size is within ${FLAT}x of the fastest`,
      xLabel: "entries in the cache",
      yLabel: "time per operation",
      series: scales.flatMap(([name, points]) =>
        (["set", "get"] as const).map((op) => {
          const g = growth(points, op);
          return {
            label: `${name.replace("TaskCache + ", "").replace("Adapter", "")} ${op}`,
            points: points.map((p) =>
              [p.entries, op === "set" ? setWithRecount(p) : p.get] as [number, number]
            ),
            note: `slowest vs fastest: ${times(g)} (${g <= FLAT ? "flat" : "NOT flat"})`,
          };
        })
      ),
    });
  }
  if (r.memory !== undefined) {
    const m = r.memory;
    panels.push({
      kind: "bars",
      title: `Peak memory of a ${m.outputMiB} MiB output (TaskCache + FsAdapter vs raw fs)`,
      subtitle: "Peak RSS during the operation minus RSS before it, MiB (median of " +
        `${m.repeats} child processes each)`,
      unit: "MiB",
      groups: (["set", "get"] as const).map((phase) => ({
        label: phase,
        bars: (["ours", "raw"] as const).map((side) => {
          const f = m.figures[side][phase];
          return {
            label: side === "ours" ? "TaskCache + FsAdapter" : "raw writeFileSync / readFileSync",
            value: Math.max(0, f.deltaMiB),
            note: `${Number(f.deltaMiB.toPrecision(3))} MiB (${
              multiple(f.deltaMiB / m.outputMiB)
            } the output)`,
          };
        }),
      })),
    });
  }
  const deno = r.deno, browser = r.browser;
  if (deno !== undefined || browser !== undefined) {
    const groups: RatioPanel["groups"] = [];
    for (const { label, sides } of deno?.kv ?? []) {
      for (const op of ["set", "get"] as const) {
        const ours = sides[DENO_KV]![op], raw = sides[RAW_KV]?.[op];
        groups.push({
          label: `Deno KV, ${label} ${op}`,
          bars: [
            ...(raw === undefined ? [] : [{
              label: RAW_KV,
              value: raw / ours,
              goal: 1 / 1.2,
              goalText: "ours ≤ 1.2x",
            }]),
            { label: "TaskCache + FsAdapter (ours too, Deno)", value: sides[DENO_FS]![op] / ours },
          ],
        });
      }
    }
    for (const [label, sides] of Object.entries(browser?.times ?? {})) {
      for (const op of ["set", "get"] as const) {
        const ours = sides[OURS]![op];
        groups.push({
          label: `IndexedDB, ${label} ${op}`,
          bars: [
            {
              label: "idb-keyval",
              value: sides["idb-keyval"]![op] / ours,
              goal: 1 / 1.2,
              goalText: "ours ≤ 1.2x",
            },
            { label: "localforage", value: sides["localforage"]![op] / ours },
          ],
        });
      }
    }
    panels.push({
      kind: "ratio",
      title: "Deno KV and IndexedDB (Chromium)",
      subtitle:
        "Their time / ours (log scale); goal: ours within 1.2x of raw Deno.Kv (1 KiB) and " +
        "of idb-keyval, i.e. ratio ≥ 0.833x",
      groups,
    });
  }
  return panels;
}

export function reportChart(r: BenchReport): string {
  const m = r.machine;
  return renderChart(
    "local-task-cache benchmark",
    `${
      m.date.slice(0, 16).replace("T", " ")
    } UTC · ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB · ` +
      `Node ${m.node}, Deno ${m.deno.replace(/^deno /, "")}, Python ${m.python}, ${m.chromium}`,
    reportPanels(r),
  );
}

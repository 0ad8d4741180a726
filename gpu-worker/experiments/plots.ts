/**
 * The pictures of the results note: learning curves (training loss and validation Dice against
 * iteration, one line per row) and an overlay of prediction and label contours on a scan slice.
 */
import { Canvas, type Rgb } from "./canvas.ts";

/** Colours for successive series (colour-blind-safe Okabe-Ito order). */
const SERIES_COLORS: readonly Rgb[] = [
  [0, 114, 178],
  [213, 94, 0],
  [0, 158, 115],
  [204, 121, 167],
  [230, 159, 0],
  [86, 180, 233],
  [0, 0, 0],
];

export interface Series {
  label: string;
  /** [x, y] points in x order. */
  points: Array<[number, number]>;
}

export interface PanelSpec {
  title: string;
  xLabel: string;
  series: Series[];
  /** Fixed y range; default: the data's range. */
  yRange?: [number, number];
}

const GREY: Rgb = [120, 120, 120], BLACK: Rgb = [0, 0, 0], GRID: Rgb = [228, 228, 228];

/** A short tick label: up to 3 significant digits. */
function tickLabel(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1000) return `${Number((value / 1000).toPrecision(3))}K`;
  return String(Number(value.toPrecision(3)));
}

/** Draws one panel (axes, grid, ticks, lines, legend) inside the box (x, y, w, h) of `canvas`. */
function drawPanel(
  canvas: Canvas,
  box: { x: number; y: number; w: number; h: number },
  spec: PanelSpec,
): void {
  const legendWidth = 8 + Math.max(0, ...spec.series.map((s) => Canvas.textWidth(s.label))) + 24;
  const plot = { x: box.x + 52, y: box.y + 22, w: box.w - 52 - legendWidth - 10, h: box.h - 48 };
  const points = spec.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xs = points.map(([x]) => x), ys = points.map(([, y]) => y);
  const [x0, x1] = [Math.min(0, ...xs), Math.max(1, ...xs)];
  let [y0, y1] = spec.yRange ?? [Math.min(...ys), Math.max(...ys)];
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) [y0, y1] = [0, 1];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const px = (x: number): number => plot.x + ((x - x0) / (x1 - x0)) * plot.w;
  const py = (y: number): number => plot.y + plot.h - ((y - y0) / (y1 - y0)) * plot.h;

  canvas.text(box.x + 52, box.y + 4, spec.title, BLACK, 2);
  for (let t = 0; t <= 4; t++) {
    const yv = y0 + ((y1 - y0) * t) / 4, xv = x0 + ((x1 - x0) * t) / 4;
    canvas.line(plot.x, py(yv), plot.x + plot.w, py(yv), GRID);
    canvas.line(px(xv), plot.y, px(xv), plot.y + plot.h, GRID);
    const yl = tickLabel(yv);
    canvas.text(plot.x - 6 - Canvas.textWidth(yl), py(yv) - 3, yl, GREY);
    const xl = tickLabel(xv);
    canvas.text(px(xv) - Canvas.textWidth(xl) / 2, plot.y + plot.h + 6, xl, GREY);
  }
  canvas.line(plot.x, plot.y, plot.x, plot.y + plot.h, BLACK);
  canvas.line(plot.x, plot.y + plot.h, plot.x + plot.w, plot.y + plot.h, BLACK);
  canvas.text(
    plot.x + plot.w / 2 - Canvas.textWidth(spec.xLabel) / 2,
    plot.y + plot.h + 18,
    spec.xLabel,
    BLACK,
  );
  spec.series.forEach((series, n) => {
    const color = SERIES_COLORS[n % SERIES_COLORS.length];
    const finite = series.points.filter(([, y]) => Number.isFinite(y));
    for (let i = 1; i < finite.length; i++) {
      const [a, b] = [finite[i - 1], finite[i]];
      canvas.line(px(a[0]), py(a[1]), px(b[0]), py(b[1]), color, 2);
    }
    if (finite.length === 1) {
      canvas.fillRect(px(finite[0][0]) - 2, py(finite[0][1]) - 2, 5, 5, color);
    }
    const ly = plot.y + 4 + n * 14;
    canvas.fillRect(plot.x + plot.w + 10, ly + 2, 16, 3, color);
    canvas.text(plot.x + plot.w + 30, ly, series.label, BLACK);
  });
}

/** Panels stacked vertically, each `width × panelHeight`, as one PNG. */
export function stackedPanelsPng(panels: PanelSpec[], width = 760, panelHeight = 300): Uint8Array {
  const canvas = new Canvas(width, panels.length * panelHeight);
  panels.forEach((panel, n) =>
    drawPanel(canvas, { x: 0, y: n * panelHeight, w: width, h: panelHeight }, panel)
  );
  return canvas.toPng();
}

/** One axial slice: intensities and two masks, `width × height`, i fastest. */
export interface OverlaySlice {
  width: number;
  height: number;
  image: Float32Array;
  label: Uint8Array;
  prediction: Uint8Array;
  caption: string;
}

const LABEL_COLOR: Rgb = [0, 200, 0], PREDICTION_COLOR: Rgb = [255, 40, 40];

/**
 * The slice in grey (1st to 99th percentile), label contour green, prediction contour red, each
 * voxel `scale` pixels, with the caption and a legend below. Row 0 of the slice is drawn at the
 * bottom (radiological images have +j pointing up).
 */
export function overlayPng(slice: OverlaySlice, scale: number): Uint8Array {
  const { width, height } = slice;
  const footer = 36;
  const canvas = new Canvas(
    Math.max(width * scale, Canvas.textWidth(slice.caption) + 8, 180),
    height * scale + footer,
    [0, 0, 0],
  );
  const sorted = Float32Array.from(slice.image).sort();
  const low = sorted[Math.floor(0.01 * (sorted.length - 1))];
  const high = sorted[Math.floor(0.99 * (sorted.length - 1))];
  const row = (j: number): number => (height - 1 - j) * scale;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const v = (slice.image[j * width + i] - low) / (high - low || 1);
      const g = Math.round(255 * Math.min(1, Math.max(0, v)));
      canvas.fillRect(i * scale, row(j), scale, scale, [g, g, g]);
    }
  }
  const contour = (mask: Uint8Array, color: Rgb, inset: number): void => {
    const at = (i: number, j: number): number =>
      i < 0 || j < 0 || i >= width || j >= height ? 0 : mask[j * width + i];
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++) {
        if (!at(i, j)) continue;
        const x = i * scale, y = row(j), t = Math.max(1, Math.floor(scale / 4));
        if (!at(i - 1, j)) canvas.fillRect(x + inset, y, t, scale, color);
        if (!at(i + 1, j)) canvas.fillRect(x + scale - t - inset, y, t, scale, color);
        if (!at(i, j + 1)) canvas.fillRect(x, y + inset, scale, t, color);
        if (!at(i, j - 1)) canvas.fillRect(x, y + scale - t - inset, scale, t, color);
      }
    }
  };
  contour(slice.label, LABEL_COLOR, 0);
  contour(slice.prediction, PREDICTION_COLOR, Math.max(1, Math.floor(scale / 4)));
  const y = height * scale + 6;
  canvas.text(4, y, slice.caption, [255, 255, 255]);
  canvas.fillRect(4, y + 16, 14, 4, LABEL_COLOR);
  canvas.text(22, y + 14, "LABEL", [255, 255, 255]);
  canvas.fillRect(80, y + 16, 14, 4, PREDICTION_COLOR);
  canvas.text(98, y + 14, "PREDICTION", [255, 255, 255]);
  return canvas.toPng();
}

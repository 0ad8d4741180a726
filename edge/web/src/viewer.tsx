/**
 * Three orthogonal planes of a scan with NiiVue (WebGL2): the predicted mask (red) as an overlay,
 * the uncertainty map |p_A − p_B| (blue–green) and an optional label (green) as overlays that are
 * off until switched on (they would hide the scan and the mask), opacity and slice controls.
 * Volumes are fetched with the API key in the request headers.
 */
import { MULTIPLANAR_TYPE, Niivue, type NVImage, SHOW_RENDER } from "@niivue/niivue";
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNote } from "./components.tsx";
import { maskCentre, type OverlapReport, overlapReport, voxelToMm } from "./viewer_math.ts";

/** One volume to show; `name` must end in .nii or .nii.gz (NiiVue picks the reader by name). */
export interface ViewerLayer {
  url: string;
  name: string;
}

export interface ViewerProps {
  headers: Record<string, string>;
  scan: ViewerLayer;
  mask: ViewerLayer;
  uncertainty?: ViewerLayer;
  label?: ViewerLayer;
  /** Called once the label is loaded, with its agreement with the mask. */
  onOverlap?(report: OverlapReport): void;
}

/** The style sheet's phone-width breakpoint (style.css uses the same). */
const narrowScreen = "(max-width: 700px)";

const planes = [
  { axis: 0, name: "Sagittal (x)" },
  { axis: 1, name: "Coronal (y)" },
  { axis: 2, name: "Axial (z)" },
] as const;

export function Viewer(props: ViewerProps): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const niivue = useRef<Niivue | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string>();
  const [maskOpacity, setMaskOpacity] = useState(0.6);
  const [uncertaintyView, setUncertaintyView] = useState<OverlayView>({
    shown: false,
    opacity: 0.5,
  });
  const [labelView, setLabelView] = useState<OverlayView>({ shown: false, opacity: 0.35 });
  const [position, setPosition] = useState<number[]>([0.5, 0.5, 0.5]);
  const layers = [props.scan, props.uncertainty, props.mask, props.label];
  const index = (layer?: ViewerLayer): number =>
    layers.filter(Boolean).indexOf(layer as ViewerLayer);

  useEffect(() => {
    const nv = new Niivue({
      backColor: [0.08, 0.09, 0.11, 1],
      crosshairColor: [0.2, 0.8, 1, 0.6],
      crosshairWidth: 0.25,
      show3Dcrosshair: false,
      isColorbar: false,
      // Three planes side by side, no 3-D render tile: the most slice area on a laptop screen;
      // stacked on a phone, where side by side each plane would be a thumbnail.
      multiplanarLayout: matchMedia(narrowScreen).matches
        ? MULTIPLANAR_TYPE.COLUMN
        : MULTIPLANAR_TYPE.ROW,
      multiplanarShowRender: SHOW_RENDER.NEVER,
    });
    niivue.current = nv;
    nv.onLocationChange = () => setPosition([...nv.scene.crosshairPos]);
    /** An overlay's load options: values `calMin`..1 painted in `colormap`, below left clear. */
    const overlay = (layer: ViewerLayer, colormap: string, opacity: number, calMin = 0) => ({
      ...layer,
      headers: props.headers,
      colormap,
      opacity,
      cal_min: calMin,
      cal_max: 1,
    });
    (async () => {
      await nv.attachToCanvas(canvas.current!);
      await nv.loadVolumes([
        { ...props.scan, headers: props.headers, colormap: "gray" },
        // Below 0.1 the two networks agree: left clear, not a tint over the whole scan.
        ...(props.uncertainty ? [overlay(props.uncertainty, "winter", 0, 0.1)] : []),
        overlay(props.mask, "red", maskOpacity),
        ...(props.label ? [overlay(props.label, "green", 0)] : []),
      ]);
      nv.setSliceType(nv.sliceTypeMultiplanar);
      centreOnMask(nv, nv.volumes[index(props.mask)]);
      if (props.label && props.onOverlap) {
        const maskImage = nv.volumes[index(props.mask)];
        const labelImage = nv.volumes[index(props.label)];
        const pix = maskImage.hdr!.pixDims;
        props.onOverlap(overlapReport(maskImage.img!, labelImage.img!, pix[1] * pix[2] * pix[3]));
      }
      setPosition([...nv.scene.crosshairPos]);
      setReady(true);
    })().catch((err: Error) => setError(`The viewer could not load the volumes: ${err.message}`));
  }, [props.scan.url, props.mask.url, props.uncertainty?.url, props.label?.url]);

  const setOpacity = (layer: ViewerLayer | undefined, value: number): void => {
    if (layer && niivue.current && ready) niivue.current.setOpacity(index(layer), value);
  };
  /** Applies a hidden-at-first overlay's new view: its switch and slider state, and NiiVue's layer. */
  const viewOverlay = (
    layer: ViewerLayer | undefined,
    view: OverlayView,
    setView: (view: OverlayView) => void,
  ): void => {
    setView(view);
    setOpacity(layer, view.shown ? view.opacity : 0);
  };
  const moveTo = (axis: number, frac: number): void => {
    const nv = niivue.current;
    if (!nv || !ready) return;
    const next = [...nv.scene.crosshairPos];
    next[axis] = frac;
    nv.scene.crosshairPos = next as typeof nv.scene.crosshairPos;
    nv.drawScene();
    setPosition(next);
  };

  return (
    <div class="viewer">
      {/* NiiVue sizes the canvas to its parent and paints the parent black: give it its own. */}
      <div class="viewer-canvas">
        <canvas
          ref={canvas}
          data-testid="viewer-canvas"
          data-ready={ready ? "true" : "false"}
          aria-label="Scan with the predicted mask overlaid in three planes"
        />
      </div>
      <ErrorNote message={error} />
      <div class="controls">
        <OpacitySlider
          id="mask-opacity"
          label="Mask opacity"
          value={maskOpacity}
          onChange={(value) => {
            setMaskOpacity(value);
            setOpacity(props.mask, value);
          }}
        />
        {props.uncertainty && (
          <OverlaySwitch
            id="uncertainty"
            text="Show the uncertainty map"
            sliderLabel="Uncertainty opacity"
            view={uncertaintyView}
            onChange={(view) => viewOverlay(props.uncertainty, view, setUncertaintyView)}
          />
        )}
        {props.label && (
          <OverlaySwitch
            id="label"
            text="Show the label"
            view={labelView}
            onChange={(view) => viewOverlay(props.label, view, setLabelView)}
          />
        )}
        {planes.map((plane) => (
          <span class="field" key={plane.axis}>
            <label for={`slice-${plane.axis}`}>
              {plane.name} {Math.round(position[plane.axis] * 100)} %
            </label>
            <input
              id={`slice-${plane.axis}`}
              type="range"
              min={0}
              max={1}
              step={0.01}
              value={position[plane.axis]}
              onInput={(e) => moveTo(plane.axis, Number(e.currentTarget.value))}
            />
          </span>
        ))}
      </div>
      <p class="legend small">
        <span class="swatch mask" /> predicted mask
        {uncertaintyView.shown && (
          <>
            <span class="swatch uncertainty" /> uncertainty |p<sub>A</sub> − p<sub>B</sub>|
          </>
        )}
        {labelView.shown && (
          <>
            <span class="swatch label" /> label
          </>
        )}
      </p>
    </div>
  );
}

/** Whether an overlay that starts hidden is shown, and at what opacity when it is. */
interface OverlayView {
  shown: boolean;
  opacity: number;
}

/**
 * The switch (`#show-{id}`) of an overlay that starts hidden, and while it is shown its opacity
 * slider (`#{id}-opacity`) where the overlay has one (`sliderLabel`); a fixed opacity otherwise.
 */
function OverlaySwitch(props: {
  id: string;
  text: string;
  sliderLabel?: string;
  view: OverlayView;
  onChange(view: OverlayView): void;
}): JSX.Element {
  const { view, onChange } = props;
  return (
    <span class="field">
      <label class="check">
        <input
          id={`show-${props.id}`}
          type="checkbox"
          checked={view.shown}
          onChange={(e) => onChange({ ...view, shown: e.currentTarget.checked })}
        />
        {props.text}
      </label>
      {view.shown && props.sliderLabel && (
        <OpacitySlider
          id={`${props.id}-opacity`}
          label={props.sliderLabel}
          value={view.opacity}
          onChange={(opacity) => onChange({ ...view, opacity })}
        />
      )}
    </span>
  );
}

/** A 0-100 % opacity slider for one overlay layer; the label shows the current percentage. */
function OpacitySlider(props: {
  id: string;
  label: string;
  value: number;
  onChange(value: number): void;
}): JSX.Element {
  return (
    <span class="field">
      <label for={props.id}>{props.label} {Math.round(props.value * 100)} %</label>
      <input
        id={props.id}
        type="range"
        min={0}
        max={1}
        step={0.05}
        value={props.value}
        onInput={(e) => props.onChange(Number(e.currentTarget.value))}
      />
    </span>
  );
}

/** Puts the crosshair on the mask voxel nearest its centroid: all three planes cut the structure. */
function centreOnMask(nv: Niivue, mask: NVImage): void {
  const hdr = mask.hdr;
  if (!hdr || !mask.img) return;
  const centre = maskCentre(mask.img, [hdr.dims[1], hdr.dims[2], hdr.dims[3]]);
  if (!centre) return;
  nv.scene.crosshairPos = nv.mm2frac(voxelToMm(hdr.affine, centre));
  nv.drawScene();
}

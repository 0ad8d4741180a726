/**
 * How a scan is segmented: `llmseg infer`'s switches as the service's inference and evaluation jobs
 * carry them, and the one rule for which of them a model can honour (the edge applies it at
 * submit from the model's lineage, the inferer again from the model folder).
 */
import { z } from "zod";
import { UserError } from "../errors.ts";
import { type TrainConfig, trainConfigFields } from "./train_config.ts";

/** Which member of a co-trained pair predicts (docs/METHOD.md 6: A by default). */
export const EvaluatedNetwork = z.enum(["a", "b", "average"]);
export type EvaluatedNetwork = z.infer<typeof EvaluatedNetwork>;

export const InferenceSettings = z.object({
  /** `average`: the mean of A's and B's softmax (a co-trained model only). */
  network: EvaluatedNetwork.default("a"),
  /** Average each window over the flips the training augmentation made (`llmseg infer --tta`). */
  tta: z.boolean().default(false),
  /** Keep only the largest connected foreground component. */
  largestComponent: z.boolean().default(false),
});
export type InferenceSettings = z.infer<typeof InferenceSettings>;

/** What {@link checkInferenceSettings} reads of a request: its settings and the uncertainty map. */
export type InferenceAsk = Partial<InferenceSettings> & { uncertainty?: boolean };

/** What the rule needs to know of a model. */
export interface ModelTraits {
  /** Holds networks A and B (co-trained), not A alone. */
  pair: boolean;
  /** The training augmentation; absent for imported weights (mirrored along every axis). */
  augment?: TrainConfig["augment"];
}

const { mode, augment } = trainConfigFields.shape;
const TraitFields = z.object({ mode, augment });

/**
 * The traits of a model from the training configuration its lineage records (a service model
 * version's `lineage.config`); absent where the record does not name them.
 */
export function traitsOfTrainConfig(config: unknown): ModelTraits | undefined {
  const parsed = TraitFields.safeParse(config);
  return parsed.success
    ? { pair: parsed.data.mode === "cotrain", augment: parsed.data.augment }
    : undefined;
}

/**
 * Refuses what the model cannot do: B, the average or the uncertainty map from a single network,
 * and mirroring for a model trained without flips (it would be shown orientations it never learned).
 *
 * @throws UserError `unsupported_by_model`.
 */
export function checkInferenceSettings(
  model: ModelTraits,
  settings: InferenceAsk,
): void {
  const needsPair = (settings.network ?? "a") !== "a" || (settings.uncertainty ?? false);
  if (needsPair && !model.pair) {
    throw new UserError(
      "unsupported_by_model",
      "this model holds one network: network b, average and the uncertainty map need a co-trained pair",
    );
  }
  if (settings.tta && model.augment === "none") {
    throw new UserError(
      "unsupported_by_model",
      "this model was trained without flips (augment none): mirroring would show it orientations " +
        "it never learned",
    );
  }
}

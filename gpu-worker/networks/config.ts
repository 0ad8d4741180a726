/**
 * Network configuration (docs/METHOD.md 3), free of tfjs so that model-folder metadata can be validated
 * anywhere (it is stored in `model.json`).
 */
import { z } from "zod";

/** Architecture switches; stored in a model folder's `model.json`, so it is a zod schema. */
export const NetworkConfigSchema = z.object({
  /** `vnet` (UA-MT lineage, LA/Pancreas) or `unet3d` (SSL4MIS, BraTS). */
  arch: z.enum(["vnet", "unet3d"]),
  inChannels: z.number().int().min(1).default(1),
  classes: z.number().int().min(2).default(2),
  /** Filters of the first level (`n_filters`); level l has width·2^l. 16 in the paper. */
  width: z.number().int().min(1).default(16),
  /** `has_dropout`: Dropout3d p 0.5 (V-Net) or element-wise Dropout p 0.3 (U-Net) in training. */
  dropout: z.boolean().default(true),
  /** Weight of the text feature added at the bottleneck (docs/METHOD.md 3.3, eq 7); 0 = no text branch. */
  beta: z.number().min(0).default(0),
  /** Size of the BERT knowledge vector e (docs/METHOD.md 3.3). */
  knowledgeDim: z.number().int().min(1).default(768),
  /** Hidden width of the text MLP (Linear → ReLU → Linear). */
  textHidden: z.number().int().min(1).default(256),
});
export type NetworkConfig = z.infer<typeof NetworkConfigSchema>;
/** What a caller may write: every field but `arch` has a default. */
export type NetworkConfigInput = z.input<typeof NetworkConfigSchema>;

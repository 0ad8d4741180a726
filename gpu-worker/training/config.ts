/** The training configuration schema, shared with the edge and worker (`shared/contracts`). */
export {
  configProblems,
  DEFAULT_EMA_DECAY,
  type TrainConfig,
  trainConfigFields,
  trainConfigSchema,
} from "../../shared/contracts/train_config.ts";

/** The training configuration schema, shared with the edge and worker (`shared/contracts`). */
export {
  configProblems,
  type TrainConfig,
  trainConfigFields,
  trainConfigSchema,
} from "../../shared/contracts/train_config.ts";

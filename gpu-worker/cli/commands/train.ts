/**
 * `llmseg train`: trains a co-trained pair (docs/METHOD.md 5) or the supervised-only baseline from a
 * preset, with the paper's ablations as switches, checkpointing into the model folder.
 */
import { join } from "node:path";
import { UserError } from "@llmseg/shared";
import { listCases, readDatasetMetadata } from "../../../shared/dataset/mod.ts";
import { readKnowledgeRecord, toKnowledgeRecord } from "../../../shared/knowledge/mod.ts";
import { pathExists } from "../../../shared/path_exists.ts";
import type { KnowledgeFile } from "../../checkpoint/model_manifest.ts";
import { DEFAULT_EMA_DECAY, trainConfigFields } from "../../training/config.ts";
import { initEngine } from "../../engine/mod.ts";
import {
  CHECKPOINT_FILE,
  type PresetName,
  presets,
  terminalReporter,
  train,
  type TrainConfig,
} from "../../training/mod.ts";
import {
  type Command,
  parseChoice,
  parseOptions,
  parseTriple,
  rejectPositionals,
  required,
} from "../command.ts";

const usage = `usage: llmseg train --preset <name> --out <model-dir> [--data <dataset>] [--resume]
                    [switches]

Trains LLM-SegNet (two V-Nets co-trained with USL, docs/METHOD.md 5) or a baseline, writing a model
folder (model.json, weights, knowledge.json), a resumable checkpoint and train.jsonl into --out.

  --preset <name>        ${Object.keys(presets).join(" | ")}
  --out <model-dir>      model folder (created)
  --data <dataset>       nnU-Net folder (imagesTr/ {case}_0000.nii.gz, _0001, …; labelsTr/;
                         optional dataset.json), h5 folder (train.list or cases.list), or a
                         dataset description .json; absent: a small synthetic dataset
  --in-channels N        input channels (default: dataset.json's channel_names, else the
                         {case}_XXXX files of the first case, else the preset's 1)
  --classes N            classes with background (default: dataset.json's labels, else the
                         preset's 2); a label value ≥ N is refused, never dropped
  --merge-labels         train every non-zero label value as one foreground class (say, the
                         hippocampus's anterior 1 and posterior 2); implies --classes 2
  --resume               continue from the checkpoint in --out (its saved configuration)
  --descriptors <set>    descriptor set whose knowledge vector the text branch adds: a
                         shipped id (la, pancreas, brats, hippocampus) or a set file (default:
                         the preset's); embedded with BERT when LLMSEG_MODEL_DIR names a BERT
                         folder, else a fixed stand-in seeded by the set (docs/METHOD.md 3.3)
  --knowledge <file>     a precomputed knowledge record (llmseg descriptors embed) instead
  --validation-cases N   hold out the last N training cases for validation

switches (override the preset):
  --supervised-only      one network, labelled data only, no input noise (with --beta 0:
                         the plain backbone baseline of Tables 2-4)
  --sup-loss ce|dice|ce+dice      L_s (Table 6)
  --unsup-loss usl|nll|mse|usl+dice   L_u (Table 7; usl+dice adds a Dice term against the
                         partner's pseudo-labels, a named variant, docs/results.md)
  --target-alignment none|class-prior   rescale the partner's probabilities to the labelled
                         class fractions before they become pseudo-labels (a named variant,
                         docs/results.md)
  --pseudo-labels partner|partner-ema   each network learns from its partner (the paper) or
                         from an average of the partner's weights (mean teacher, a named
                         variant, docs/results.md)
  --ema-decay D          weight of the past in that average (default ${DEFAULT_EMA_DECAY}, UA-MT's)
  --cutmix-partner unlabelled|labelled   what fills network B's CutMix boxes: another
                         unlabelled scan (the paper), or a labelled one with its labels as the
                         target there, inside the box and around it in turn (bidirectional
                         copy-paste, a named variant, docs/results.md)
  --unsup-schedule constant|sigmoid-rampup   weight of L_u (eq 1 literally, or the ramp-up)
  --rampup N             ramp-up length in iterations
  --unsup-weight W       largest weight of L_u, where the schedule ends (presets: 0.1, the
                         lineage's; 1 is the paper's eq 1: docs/results.md compares both)
  --beta B               text weight (eq 7); 0 disables the text branch
  --t1 T --t2 T          USL thresholds
  --labeled N            labelled cases (the first N of the list)
  --iterations N         maximum iterations
  --lr LR                base learning rate (poly decay)
  --patch X,Y,Z          training patch (sides divisible by 16)
  --width N              filters of the first level
  --validate-every N     validation interval (0: never)
  --checkpoint-every N   checkpoint interval
  --seed N               seed of initialisation, sampling and augmentation`;

function parseNumber(text: string | undefined, flag: string, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UserError(
      "bad_option",
      `${flag} must be ${integer ? "an integer" : "a number"}, not '${text}'`,
    );
  }
  return n;
}

/** The contract's fields: the switches accept exactly the choices the configuration does. */
const choices = trainConfigFields.shape;

export const trainCommand: Command = {
  name: "train",
  summary: "Train LLM-SegNet (co-training with USL) or a baseline from a preset",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      preset: { type: "string" },
      out: { type: "string" },
      data: { type: "string" },
      resume: { type: "boolean", default: false },
      descriptors: { type: "string" },
      knowledge: { type: "string" },
      "validation-cases": { type: "string" },
      "in-channels": { type: "string" },
      classes: { type: "string" },
      "merge-labels": { type: "boolean", default: false },
      "supervised-only": { type: "boolean", default: false },
      "sup-loss": { type: "string" },
      "unsup-loss": { type: "string" },
      "target-alignment": { type: "string" },
      "pseudo-labels": { type: "string" },
      "ema-decay": { type: "string" },
      "cutmix-partner": { type: "string" },
      "unsup-schedule": { type: "string" },
      rampup: { type: "string" },
      "unsup-weight": { type: "string" },
      beta: { type: "string" },
      t1: { type: "string" },
      t2: { type: "string" },
      labeled: { type: "string" },
      iterations: { type: "string" },
      lr: { type: "string" },
      patch: { type: "string" },
      width: { type: "string" },
      "validate-every": { type: "string" },
      "checkpoint-every": { type: "string" },
      seed: { type: "string" },
    }, usage);
    rejectPositionals(positionals, usage);
    const preset = parseChoice(
      required(values.preset, "--preset", usage),
      "--preset",
      Object.keys(presets) as PresetName[],
    )!;
    const out = required(values.out, "--out", usage);
    const overrides: Partial<TrainConfig> = Object.fromEntries(
      Object.entries({
        mode: values["supervised-only"] ? "supervised" : undefined,
        supLoss: parseChoice(values["sup-loss"], "--sup-loss", choices.supLoss.options),
        unsupLoss: parseChoice(values["unsup-loss"], "--unsup-loss", choices.unsupLoss.options),
        targetAlignment: parseChoice(
          values["target-alignment"],
          "--target-alignment",
          choices.targetAlignment.unwrap().options,
        ),
        pseudoLabels: parseChoice(
          values["pseudo-labels"],
          "--pseudo-labels",
          choices.pseudoLabels.unwrap().options,
        ),
        emaDecay: parseNumber(values["ema-decay"], "--ema-decay"),
        cutmixPartner: parseChoice(
          values["cutmix-partner"],
          "--cutmix-partner",
          choices.cutmixPartner.unwrap().options,
        ),
        unsupSchedule: parseChoice(
          values["unsup-schedule"],
          "--unsup-schedule",
          choices.unsupSchedule.options,
        ),
        rampupIterations: parseNumber(values.rampup, "--rampup", true),
        unsupMaxWeight: parseNumber(values["unsup-weight"], "--unsup-weight"),
        beta: parseNumber(values.beta, "--beta"),
        descriptors: values.descriptors,
        t1: parseNumber(values.t1, "--t1"),
        t2: parseNumber(values.t2, "--t2"),
        labeledCount: parseNumber(values.labeled, "--labeled", true),
        maxIterations: parseNumber(values.iterations, "--iterations", true),
        baseLr: parseNumber(values.lr, "--lr"),
        patch: values.patch === undefined ? undefined : parseTriple(values.patch, "--patch"),
        nFilters: parseNumber(values.width, "--width", true),
        validateEvery: parseNumber(values["validate-every"], "--validate-every", true),
        checkpointEvery: parseNumber(values["checkpoint-every"], "--checkpoint-every", true),
        seed: parseNumber(values.seed, "--seed", true),
        inChannels: parseNumber(values["in-channels"], "--in-channels", true),
        classes: parseNumber(values.classes, "--classes", true),
        mergeLabels: values["merge-labels"] ? true : undefined,
      }).filter(([, v]) => v !== undefined),
    );
    if (values.resume && Object.keys(overrides).length > 0) {
      throw new UserError(
        "bad_option",
        "--resume continues with the checkpoint's saved configuration; drop the switches " +
          `(${Object.keys(overrides).join(", ")})`,
      );
    }
    const previous = join(out, CHECKPOINT_FILE);
    if (!values.resume && await pathExists(previous)) {
      throw new UserError(
        "bad_option",
        `${out} already holds a training run (${CHECKPOINT_FILE}); pass --resume to continue it ` +
          "or choose another --out",
      );
    }
    if (values.descriptors !== undefined && values.knowledge !== undefined) {
      throw new UserError(
        "bad_option",
        "--descriptors and --knowledge both name the knowledge vector; give one",
      );
    }
    if (overrides.mergeLabels && overrides.classes !== undefined && overrides.classes !== 2) {
      throw new UserError(
        "bad_option",
        `--merge-labels trains one foreground class (--classes 2), not --classes ${overrides.classes}`,
      );
    }
    if (!values.resume && values.data !== undefined) {
      for (const note of await fromDataset(values.data, overrides)) {
        console.error(`llmseg train: ${note}`);
      }
    }
    const knowledge = values.knowledge === undefined
      ? undefined
      : await readKnowledge(values.knowledge);
    const engine = await initEngine();
    console.error(
      `llmseg train: backend ${engine.backend}, preset ${preset}${
        values.resume ? " (resume)" : ""
      }`,
    );
    const result = await train({
      preset,
      out,
      data: values.data,
      resume: values.resume,
      overrides,
      knowledge,
      validationCases: parseNumber(values["validation-cases"], "--validation-cases", true),
    }, {
      onProgress: terminalReporter(
        (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
        Deno.stderr.isTerminal(),
      ),
    });
    console.log(JSON.stringify({
      modelDir: result.modelDir,
      iterations: result.iterations,
      finalLoss: result.finalLoss,
      validationDice: result.validationDice ?? null,
    }));
    return 0;
  },
};

/**
 * Takes what the user did not set from an nnU-Net folder, as nnU-Net does: the channel count from
 * dataset.json's channel_names or the {case}_XXXX files, the classes from its labels. Fills
 * `overrides` in place.
 * @returns one line per value taken or label merge made, for the terminal.
 */
async function fromDataset(data: string, overrides: Partial<TrainConfig>): Promise<string[]> {
  const notes: string[] = [];
  const merge = overrides.mergeLabels === true;
  if (merge) overrides.classes = 2;
  if (data.endsWith(".json") || !await pathExists(join(data, "imagesTr"))) {
    if (merge) notes.push("--merge-labels: every non-zero label value trains as class 1");
    return notes;
  }
  const metadata = await readDatasetMetadata(data);
  const names = metadata?.channelNames;
  if (overrides.inChannels === undefined) {
    const files = (await listCases({ layout: "nnunet", root: data }))[0].images.length;
    const channels = names?.length ?? (files > 1 ? files : undefined);
    if (channels !== undefined) {
      overrides.inChannels = channels;
      notes.push(
        names
          ? `${channels} input channel(s) from dataset.json: ${names.join(", ")}`
          : `${channels} input channels from the file names ({case}_0000 … _${
            String(channels - 1).padStart(4, "0")
          })`,
      );
    }
  }
  const labels = metadata?.labels;
  const named = labels && Object.entries(labels).filter(([, value]) => value > 0)
    .map(([name, value]) => `${value} ${name}`).join(", ");
  if (merge) {
    notes.push(
      `--merge-labels: every non-zero label value${named ? ` (${named})` : ""} trains as ` +
        "one foreground class 1",
    );
  } else if (labels && overrides.classes === undefined) {
    overrides.classes = Object.keys(labels).length;
    notes.push(`${overrides.classes} classes from dataset.json: 0 background, ${named}`);
  }
  return notes;
}

async function readKnowledge(path: string): Promise<KnowledgeFile> {
  const knowledge = await readKnowledgeRecord(path);
  if (!knowledge) throw new UserError("bad_option", `--knowledge ${path}: no such file`);
  return toKnowledgeRecord(knowledge);
}

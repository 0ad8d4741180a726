/**
 * The training run: builds the networks, draws batches, steps, validates, checkpoints and
 * resumes. One code path for the CLI and the queue worker.
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Rng, UserError } from "@llmseg/shared";
import {
  evaluateBinary,
  type MaskMetrics,
  maskOf,
  summarizeMetrics,
} from "../../shared/metrics/mod.ts";
import { saveModelFolder } from "../checkpoint/model_folder.ts";
import {
  type KnowledgeFile,
  knowledgeReference,
  type ModelManifest,
  TOOL_VERSION,
} from "../checkpoint/model_manifest.ts";
import { toFloat32 } from "../checkpoint/safetensors.ts";
import { loadState } from "../checkpoint/state.ts";
import {
  type LoadedTrainingCheckpoint,
  loadTrainingCheckpoint,
  saveTrainingCheckpoint,
} from "../checkpoint/training_checkpoint.ts";
import { segment } from "../inferers/mod.ts";
import { createNetwork, NetworkConfigSchema } from "../networks/mod.ts";
import { TwoStreamSampler, type TwoStreamState } from "../transforms/mod.ts";
import { configProblems, type TrainConfig, trainConfigSchema } from "./config.ts";
import { loadTrainingData, type TrainingData } from "./data.ts";
import { disposeBatch, drawBatch } from "./batch.ts";
import { trainingKnowledge } from "./knowledge.ts";
import type { ProgressEvent, TrainHooks, TrainOptions, TrainResult } from "./events.ts";
import { resolveConfig } from "./presets.ts";
import { openJsonLinesLog } from "./progress.ts";
import { polyLearningRate, unsupervisedWeight } from "./schedules.ts";
import { Sgd } from "./sgd.ts";
import { EmaTeacher, type TeacherPair } from "./ema_teacher.ts";
import { cotrainStep, type Member, supervisedStep } from "./step.ts";
import {
  TargetAlignment,
  type TargetAlignmentState,
  TargetAlignmentStateSchema,
} from "./target_alignment.ts";

/** File names inside the model folder. */
export const CHECKPOINT_FILE = "checkpoint.safetensors";
export const LOG_FILE = "train.jsonl";
/** Sub-folder holding the best-on-validation model (docs/METHOD.md 6: the lineage-parity secondary). */
export const BEST_MODEL_DIR = "best";

/**
 * Trains as `options` say, reporting through `hooks`, checkpointing into `options.out` every
 * `checkpointEvery` iterations, at the end, and when `hooks.signal` aborts. With `resume` the run
 * continues from the folder's checkpoint with its saved configuration, bit for bit on the CPU.
 *
 * @example
 * ```ts ignore
 * const result = await train({ preset: "smoke", out: "/tmp/model" }, { onProgress: console.log });
 * ```
 * @throws UserError for a bad configuration, dataset or checkpoint.
 */
export async function train(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const checkpointPath = join(options.out, CHECKPOINT_FILE);
  const saved = options.resume ? await readCheckpoint(checkpointPath) : undefined;
  const resolved = saved
    ? savedConfig(saved, checkpointPath)
    : resolveConfig(options.preset, options.overrides);
  // Resolved before the data so that a bad descriptor set fails fast.
  const knowledge = await trainingKnowledge(resolved, {
    out: options.out,
    resume: options.resume,
    record: options.knowledge,
  });
  // The stored configuration names the set actually used: a given record's (say a tenant's set).
  const config = options.knowledge && knowledge && !saved
    ? { ...resolved, descriptors: knowledge.descriptorSetId }
    : resolved;
  const data = await loadTrainingData(
    options.data,
    options.preset,
    config,
    options.validationCases,
  );
  const run = new Run(config, data, knowledge, saved);
  await Deno.mkdir(options.out, { recursive: true });
  const log = await openJsonLinesLog(join(options.out, LOG_FILE));
  const report = (event: ProgressEvent): unknown => {
    log.write(event);
    return hooks.onProgress?.(event);
  };
  try {
    return await run.loop(options.out, checkpointPath, report, hooks.signal);
  } finally {
    run.dispose();
    log.close();
  }
}

/**
 * Lets timers and I/O run. An iteration or a validation case is one long synchronous computation;
 * between them the service worker's heartbeats, cancellation and progress uploads must get a turn.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function readCheckpoint(path: string): Promise<LoadedTrainingCheckpoint> {
  try {
    await Deno.stat(path);
  } catch {
    throw new UserError("no_checkpoint", `cannot resume: ${path} does not exist`);
  }
  return await loadTrainingCheckpoint(path);
}

/** The alignment's averages saved with the checkpoint (absent before the first step). */
function savedAlignment(saved: LoadedTrainingCheckpoint): TargetAlignmentState | undefined {
  const parsed = TargetAlignmentStateSchema.optional().safeParse(saved.info.alignment);
  if (!parsed.success) {
    throw new UserError(
      "invalid_checkpoint",
      `the checkpoint's target alignment is invalid (${configProblems(parsed.error)})`,
    );
  }
  return parsed.data;
}

function savedConfig(saved: LoadedTrainingCheckpoint, path: string): TrainConfig {
  const parsed = trainConfigSchema.safeParse(saved.info.config);
  if (!parsed.success) {
    throw new UserError(
      "invalid_checkpoint",
      `${path}: its training configuration is invalid (${configProblems(parsed.error)})`,
    );
  }
  return parsed.data;
}

/** The mutable state of one run: networks, optimisers, generator, sampler, iteration. */
class Run {
  readonly members: { a: Member; b?: Member };
  readonly rng: Rng;
  readonly sampler: TwoStreamSampler;
  /** Present with `targetAlignment: class-prior` in co-training. */
  readonly alignment?: TargetAlignment;
  /** Present with `pseudoLabels: partner-ema` in co-training: A's and B's averages. */
  readonly teachers?: TeacherPair;
  iteration: number;
  /** Best validation Dice so far (−1 before any validation). */
  bestDice = -1;

  constructor(
    readonly config: TrainConfig,
    readonly data: TrainingData,
    readonly knowledge: KnowledgeFile | undefined,
    saved?: LoadedTrainingCheckpoint,
  ) {
    const network = NetworkConfigSchema.parse({
      arch: config.arch,
      inChannels: config.inChannels,
      classes: config.classes,
      width: config.nFilters,
      dropout: config.dropout,
      beta: config.beta,
      knowledgeDim: knowledge?.vector.length ?? 768,
    });
    const vector = knowledge && Float32Array.from(knowledge.vector);
    // A and B are initialised independently (docs/METHOD.md 2.5 DEFAULT).
    const member = (seed: number): Member => {
      const net = createNetwork(network, seed, vector);
      const trainable = new Map([...net.namedState()].filter(([, v]) => v.trainable));
      const optimizer = new Sgd(trainable, {
        momentum: config.momentum,
        weightDecay: config.weightDecay,
      });
      return { network: net, optimizer };
    };
    this.members = {
      a: member(config.seed),
      b: config.mode === "cotrain" ? member(config.seed + 1) : undefined,
    };
    // Built from the students' seeds: each teacher starts as a copy of its student (UA-MT).
    if (config.mode === "cotrain" && config.pseudoLabels === "partner-ema") {
      const teacher = (seed: number) =>
        new EmaTeacher(createNetwork(network, seed, vector), config.emaDecay);
      this.teachers = { a: teacher(config.seed), b: teacher(config.seed + 1) };
    }
    const unlabeledPerBatch = config.mode === "cotrain"
      ? config.batchSize - config.labeledBatchSize
      : 0;
    const sampler = (state?: TwoStreamState): TwoStreamSampler =>
      new TwoStreamSampler(
        data.labeled.length,
        data.unlabeled.length,
        config.labeledBatchSize,
        unlabeledPerBatch,
        state,
      );
    if (saved) {
      this.restore(saved);
      this.rng = Rng.fromState(saved.rngStates.train);
      this.sampler = sampler(saved.info.sampler as TwoStreamState);
      this.iteration = saved.iteration;
      if (typeof saved.info.bestDice === "number") this.bestDice = saved.info.bestDice;
      this.alignment = this.#alignment(savedAlignment(saved));
    } else {
      this.rng = new Rng(config.seed);
      this.sampler = sampler();
      this.iteration = 0;
      this.alignment = this.#alignment();
    }
  }

  #alignment(state?: TargetAlignmentState): TargetAlignment | undefined {
    const { config } = this;
    if (config.mode !== "cotrain" || config.targetAlignment !== "class-prior") return undefined;
    if (state && state.prior.length !== config.classes) {
      throw new UserError(
        "invalid_checkpoint",
        `the checkpoint's target alignment has ${state.prior.length} classes, the run ${config.classes}`,
      );
    }
    return new TargetAlignment(state);
  }

  #named(): [string, Member][] {
    return Object.entries(this.members).filter((e): e is [string, Member] => e[1] !== undefined);
  }

  /** The teachers under their checkpoint group names (`ema-a`, `ema-b`). */
  #namedTeachers(): [string, EmaTeacher][] {
    return Object.entries(this.teachers ?? {}).map(([name, t]) => [`ema-${name}`, t]);
  }

  restore(saved: LoadedTrainingCheckpoint): void {
    const group = (name: string) => {
      const entries = saved.groups[name];
      if (!entries) throw new UserError("invalid_checkpoint", `checkpoint lacks network ${name}`);
      return entries;
    };
    for (const [name, member] of this.#named()) {
      const [state, buffers] = [group(name), group(`sgd-${name}`)];
      loadState(member.network.namedState(), state, `checkpoint (${name})`);
      member.optimizer.loadBuffers(
        new Map([...buffers].map(([k, e]) => [k, tf.tensor(toFloat32(e), e.shape, "float32")])),
      );
    }
    for (const [name, teacher] of this.#namedTeachers()) {
      loadState(teacher.network.namedState(), group(name), `checkpoint (${name})`);
    }
  }

  async loop(
    out: string,
    checkpointPath: string,
    report: (event: ProgressEvent) => unknown,
    signal?: AbortSignal,
  ): Promise<TrainResult> {
    const { config } = this;
    const start = this.iteration;
    const began = performance.now();
    let lastLoss = Number.NaN, validationDice: number | undefined, savedAt = -1;
    const save = async (): Promise<void> => {
      await this.save(out, checkpointPath);
      savedAt = this.iteration;
      report({ kind: "checkpoint", iteration: this.iteration, path: checkpointPath });
    };
    while (this.iteration < config.maxIterations && !signal?.aborted) {
      const it = this.iteration;
      const losses = await this.step(it);
      lastLoss = losses.total;
      this.iteration = it + 1;
      const rate = (this.iteration - start) / ((performance.now() - began) / 1000);
      await report({
        kind: "iteration",
        iteration: this.iteration,
        maxIterations: config.maxIterations,
        loss: losses.total,
        lossSupervised: losses.supervised,
        lossUnsupervised: losses.unsupervised,
        unsupWeight: config.mode === "cotrain" ? unsupervisedWeight(config, it) : 0,
        lr: polyLearningRate(config.baseLr, it, config.maxIterations, config.lrPower),
        iterationsPerSecond: rate,
        etaSeconds: (config.maxIterations - this.iteration) / rate,
      });
      await yieldToEventLoop();
      if (
        config.validateEvery > 0 && this.iteration % config.validateEvery === 0 &&
        this.data.validation.length > 0
      ) {
        const metrics = await this.validate();
        validationDice = metrics.dice;
        const best = metrics.dice > this.bestDice;
        if (best) {
          this.bestDice = metrics.dice;
          await this.saveModel(join(out, BEST_MODEL_DIR));
        }
        report({
          kind: "validation",
          iteration: this.iteration,
          ...metrics,
          cases: this.data.validation.length,
          best,
        });
      }
      if (
        this.iteration % config.checkpointEvery === 0 || this.iteration === config.maxIterations
      ) await save();
    }
    if (savedAt !== this.iteration) await save();
    return {
      modelDir: out,
      iterations: this.iteration,
      aborted: this.iteration < config.maxIterations,
      finalLoss: lastLoss,
      validationDice,
      bestValidationDice: this.bestDice >= 0 ? this.bestDice : undefined,
      config,
    };
  }

  /** One iteration at 0-based index `it` (docs/METHOD.md 5). */
  async step(it: number): Promise<{ total: number; supervised: number; unsupervised: number }> {
    const { config, members } = this;
    const batch = drawBatch(this.data.labeled, this.data.unlabeled, this.sampler, config, this.rng);
    try {
      const settings = {
        config,
        lr: polyLearningRate(config.baseLr, it, config.maxIterations, config.lrPower),
        unsupWeight: unsupervisedWeight(config, it),
        rng: this.rng,
        alignment: this.alignment,
        teachers: this.teachers,
      };
      if (!members.b) return await supervisedStep(members.a, batch, settings);
      const losses = await cotrainStep(members.a, members.b, batch, settings);
      this.teachers?.a.follow(members.a.network, it);
      this.teachers?.b.follow(members.b.network, it);
      return losses;
    } finally {
      disposeBatch(batch);
    }
  }

  /**
   * Metrics of network A over the validation cases (no post-processing, docs/METHOD.md 6): per
   * foreground class 1..C−1, the mean over the cases where the class is in the label or the
   * prediction (nnU-Net's nanmean), then the mean over classes; 0 if no class was anywhere.
   */
  async validate(): Promise<MaskMetrics> {
    const perClass: MaskMetrics[][] = Array.from({ length: this.config.classes - 1 }, () => []);
    for (const sample of this.data.validation) {
      await yieldToEventLoop();
      const { labels } = await segment(sample, this.members.a.network, undefined, {
        patch: this.config.patch,
        stride: this.config.validationStride,
        network: "a",
        largestComponent: false,
        uncertainty: false,
      });
      // Row-major [X, Y, Z] is i-fastest [Z, Y, X]; the metrics do not depend on axis order.
      const [X, Y, Z] = sample.shape;
      perClass.forEach((scores, c) =>
        scores.push(evaluateBinary(maskOf(labels, c + 1), maskOf(sample.label!, c + 1), [Z, Y, X]))
      );
    }
    const classMeans = perClass.map((scores) => summarizeMetrics(scores).mean);
    const mean = (key: keyof MaskMetrics): number => {
      const defined = classMeans.map((m) => m[key]).filter((x) => !Number.isNaN(x));
      return defined.length === 0 ? 0 : defined.reduce((s, x) => s + x, 0) / defined.length;
    };
    return { dice: mean("dice"), jaccard: mean("jaccard"), hd95: mean("hd95"), asd: mean("asd") };
  }

  /** Writes the resumable checkpoint, then the model folder (each atomically). */
  async save(out: string, checkpointPath: string): Promise<void> {
    await this.saveCheckpoint(checkpointPath);
    await this.saveModel(out);
  }

  async saveCheckpoint(checkpointPath: string): Promise<void> {
    const groups: Record<string, ReadonlyMap<string, tf.Tensor>> = {};
    for (const [name, member] of this.#named()) {
      groups[name] = member.network.namedState();
      groups[`sgd-${name}`] = member.optimizer.buffers;
    }
    for (const [name, teacher] of this.#namedTeachers()) {
      groups[name] = teacher.network.namedState();
    }
    await saveTrainingCheckpoint(checkpointPath, {
      iteration: this.iteration,
      rngStates: { train: this.rng.state },
      groups,
      info: {
        config: this.config,
        sampler: this.sampler.state,
        bestDice: this.bestDice,
        alignment: this.alignment?.state,
      },
    });
  }

  /** The model folder (config, weights, knowledge) of the current state into `dir`. */
  async saveModel(dir: string): Promise<void> {
    const manifest: ModelManifest = {
      schema: "llmseg.model/v1",
      network: this.members.a.network.config,
      members: this.members.b ? ["a", "b"] : ["a"],
      patch: this.config.patch,
      stride: this.config.validationStride,
      preprocessing: { normalization: this.data.normalization },
      knowledge: this.knowledge ? knowledgeReference(this.knowledge) : null,
      origin: { kind: "trained", iteration: this.iteration },
      training: this.config,
      dataset: this.data.fingerprint,
      toolVersion: TOOL_VERSION,
      createdAt: new Date().toISOString(),
    };
    const networks = new Map(this.#named().map(([name, m]) => [name as "a" | "b", m.network]));
    await saveModelFolder(dir, manifest, networks, this.knowledge);
  }

  dispose(): void {
    for (const [, member] of this.#named()) {
      member.network.dispose();
      member.optimizer.dispose();
    }
    for (const [, teacher] of this.#namedTeachers()) teacher.network.dispose();
  }
}

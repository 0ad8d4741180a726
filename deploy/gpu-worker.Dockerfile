# Images for deploy/compose.yaml (build from the repository root:
#   docker build -f deploy/gpu-worker.Dockerfile --target gpu-worker -t llmseg-worker .).
# Not built on the development machines (no container runtime or image registry there): checked
# against the CUDA, Node.js and tfjs-node-gpu documentation only.
#
# tfjs-node-gpu 4.22 loads libtensorflow 2.9.1, built for CUDA 11.2+ and cuDNN 8: hence the
# CUDA 11.8 / cuDNN 8 runtime base. Deno comes from npm (package.json pins it), as on CI.

# --- edge: Deno + the web client, no GPU ---
FROM node:22-bookworm-slim AS edge
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx deno install --frozen && npx deno run -A edge/web/build.ts
ENV PATH=/app/node_modules/.bin:$PATH
EXPOSE 8787
CMD ["deno", "run", "-A", "deploy/start.ts"]

# --- gpu-worker: CUDA runtime + Node.js + Deno + tfjs-node-gpu ---
FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04 AS gpu-worker
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
      build-essential python3 \
 && curl -fsSL https://deb.nodesource.com/setup_22.x | bash - \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# tfjs-node-gpu is optional for the project (gpu-worker/engine/backend.ts loads it when present);
# its install script downloads libtensorflow-gpu, so it is added here only.
RUN npx deno install --frozen \
 && npx deno add npm:@tensorflow/tfjs-node-gpu@4.22.0 \
 && npx deno install --allow-scripts=npm:@tensorflow/tfjs-node-gpu@4.22.0
ENV PATH=/app/node_modules/.bin:$PATH \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    LLMSEG_WORK_DIR=/work
RUN mkdir -p /work
# `llmseg doctor` in the container says which backend was chosen (tfjs-node-gpu on a GPU host).
CMD ["deno", "run", "-A", "gpu-worker/worker/main.ts"]

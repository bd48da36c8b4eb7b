#!/usr/bin/env bash
# The GPU checks of issue 14 as one prepared script, for the first machine with a CUDA GPU (bf16 from
# compute capability 8.0 is picked automatically): shape-check of XLM-R Large on the paper's grid (every training
# shape at its real size, random weights, nothing downloaded), the real CUDA out-of-memory back-off, and
# bench_pipeline.py. Writes its outputs under ${OUT:-gpu-first-run}/; paste the figures into bench/README.md.
#   bash bench/gpu_first_run.sh            # ~10 min on one H100 (XLM-R Large, 3 steps per shape)
set -euo pipefail
out="${OUT:-gpu-first-run}"
mkdir -p "$out"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
python=${PYTHON:-python}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; uptime; } | tee "$out/machine.txt"
$python -m pipeline shape-check data/configs/xstilts-xlmr-large.yaml --steps 3 | tee "$out/shape-check-large.txt"
# A real CUDA OOM: XLM-R Base, XQuAD at micro-batch 128, memory capped at 8 GiB (weights + AdamW need ~4.5).
printf 'models: [xlm-roberta-base]\nintermediate: [none]\ntargets: {xquad: {batch_size: 128}}\n' > "$out/oom.yaml"
fraction=$($python -c "import torch; print(8 * 2**30 / torch.cuda.get_device_properties(0).total_memory)")
$python -m pipeline shape-check "$out/oom.yaml" --steps 2 --gpu-memory-fraction "$fraction" 2> "$out/oom.log" \
    | tee "$out/oom-backoff.txt"
grep -c "out of memory: micro-batch halved" "$out/oom.log" | sed 's/^/OOM back-offs: /' | tee -a "$out/oom-backoff.txt"
$python bench/bench_pipeline.py --quick | tee "$out/bench-pipeline.txt"

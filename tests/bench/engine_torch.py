# PyTorch side of `deno task bench engine` (tests/bench/engine.ts runs it with Debian's python3-torch).
# The V-Net is the reference one of ../shared/reference/torch_bench.py (imported, not copied).
# usage: /usr/bin/python3 engine_torch.py <reps> <row>...   rows: conv:D,H,W  vnet:D,H,W,N  sliding:<h5>
#   a row may end in @<n>: its number of timed runs (default <reps>); the sliding window skips its warm-up.
# Prints one JSON object per row: {"row", "runs" (seconds), "median", "cpu" (CPU seconds of the
# median run, all threads: on a shared machine the steadier figure), "maxrss_mb" (peak RSS so far)}.
import json, os, sys, time

args = sys.argv[1:]  # before the reference module import below replaces sys.argv

reference = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "reference")
sys.path.insert(0, os.path.abspath(reference))
sys.argv = ["torch_bench.py", "none"]  # import the module's classes without running its benchmarks
import torch, torch.nn.functional as F
import torch_bench as ref

def timed(row, fn, runs_wanted, warm=True):
    if warm: fn()
    runs, cpus = [], []
    for _ in range(runs_wanted):
        t, c = time.perf_counter(), time.process_time(); fn()
        runs.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
    median = sorted(runs)[len(runs) // 2]  # the middle run (upper one of two), as engine.ts picks
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork/exec
    # (it would report the Deno benchmark's own peak).
    with open("/proc/self/status") as status:
        rss = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
    print(json.dumps({"row": row, "runs": runs, "median": median, "cpu": cpus[runs.index(median)], "maxrss_mb": rss}), flush=True)

if __name__ == "__main__":  # train_torch.py imports ref and timed
    reps = int(args[0]); rows = args[1:]
    for row in rows:
        row, _, n = row.partition("@")
        n = int(n) if n else reps
        kind, arg = row.split(":", 1)
        if kind == "conv":
            D, H, W = map(int, arg.split(","))
            x = torch.randn(1, 16, D, H, W); w = torch.randn(16, 16, 3, 3, 3) * 0.1
            def fwd():
                with torch.no_grad(): F.conv3d(x, w, padding=1)
            timed(f"conv-fwd:{arg}", fwd, n)
            xg = x.clone().requires_grad_(True); wg = w.clone().requires_grad_(True)
            def fb():
                xg.grad = None; wg.grad = None
                F.conv3d(xg, wg, padding=1).sum().backward()
            timed(f"conv-fwdbwd:{arg}", fb, n)
        elif kind == "vnet":
            D, H, W, N = map(int, arg.split(","))
            torch.manual_seed(0)
            net = ref.VNet().train(); x = torch.randn(N, 1, D, H, W)
            def fwd():
                with torch.no_grad(): net(x)
            timed(f"vnet-fwd:{arg}", fwd, n)
            opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
            def step():
                opt.zero_grad(); loss = net(x).pow(2).mean(); loss.backward(); opt.step()
            timed(f"vnet-step:{arg}", step, n)
        elif kind == "sliding":
            import h5py, math
            image = h5py.File(arg, "r")["image"][:]
            net = ref.VNet().eval(); patch = (112, 112, 80); stride = (18, 18, 4)
            def infer():  # the lineage's test_single_case: windows, softmax, plain averaging
                shape = [max(d, p) for d, p in zip(image.shape, patch)]
                score = torch.zeros(2, *shape); count = torch.zeros(*shape)
                starts = [[min(s * k, d - p) for k in range(math.ceil((d - p) / s) + 1)] for d, p, s in zip(shape, patch, stride)]
                with torch.no_grad():
                    for a in starts[0]:
                        for b in starts[1]:
                            for c in starts[2]:
                                win = torch.from_numpy(image[a:a+112, b:b+112, c:c+80]).float()[None, None]
                                score[:, a:a+112, b:b+112, c:c+80] += torch.softmax(net(win), 1)[0]
                                count[a:a+112, b:b+112, c:c+80] += 1
                return score / count
            timed(f"sliding:{os.path.basename(os.path.dirname(arg))}", infer, n, warm=False)
